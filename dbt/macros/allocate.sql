{#- Share of an order-level amount for one line, by the line's weight, to the cent: every line
    but the last gets its rounded share and the last line the remainder, so the lines of an
    order always add up to the order amount exactly. -#}
{% macro allocate(amount, weight, partition_by, order_by) -%}
    case
        when row_number() over (partition by {{ partition_by }} order by {{ order_by }} desc) = 1
            then {{ amount }} - coalesce(sum(round({{ amount }} * {{ weight }}, 2)) over (
                partition by {{ partition_by }} order by {{ order_by }}
                rows between unbounded preceding and 1 preceding
            ), 0)
        else round({{ amount }} * {{ weight }}, 2)
    end
{%- endmacro %}
