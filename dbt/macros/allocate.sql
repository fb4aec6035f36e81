{#- Share of an amount for one row of its partition, by the row's weight, to the cent: every row
    but the last gets its rounded share and the last row the remainder, so the rows always add
    up to the amount exactly. The weight is cast to DECIMAL so no money passes through a float. -#}
{% macro allocate(amount, weight, partition_by, order_by) -%}
    {%- set share = 'cast(' ~ weight ~ ' as decimal(38, 18))' -%}
    {#- the last row of the ascending order, whatever the number of order columns -#}
    {%- set order_desc = order_by.split(',') | map('trim') | map('string') | join(' desc, ') ~ ' desc' -%}
    case
        when row_number() over (partition by {{ partition_by }} order by {{ order_desc }}) = 1
            then {{ amount }} - coalesce(sum(round({{ amount }} * {{ share }}, 2)) over (
                partition by {{ partition_by }} order by {{ order_by }}
                rows between unbounded preceding and 1 preceding
            ), 0)
        else round({{ amount }} * {{ share }}, 2)
    end
{%- endmacro %}
