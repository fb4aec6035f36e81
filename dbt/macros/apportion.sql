{#- `exact` (a sum of credit × money, many decimals) to the cent, so that the rows of each
    `partition_by` add up to their exact total to the cent: every row is rounded down and the
    cents left over go one each to the rows with the largest remainders (ties: `order_by`).
    Largest-remainder rounding: no row is off by a cent or more. -#}
{% macro apportion(exact, partition_by, order_by) -%}
    cast(
        floor({{ exact }} * 100) / 100
        + case
            when row_number() over (
                partition by {{ partition_by }}
                order by {{ exact }} * 100 - floor({{ exact }} * 100) desc, {{ order_by }}
            ) <= sum({{ exact }} * 100) over (partition by {{ partition_by }})
                - sum(floor({{ exact }} * 100)) over (partition by {{ partition_by }})
                then 0.01
            else 0
        end
        as decimal(18, 2)
    )
{%- endmacro %}
