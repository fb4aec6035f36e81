{#- `exact` (a sum of credit × money, many decimals) to the cent, so that the rows of each
    `partition_by` add up to their exact total to the cent: every row is rounded down and the
    cents left over go one each to the rows with the largest remainders (ties: `order_by`).
    Largest-remainder rounding: no row is off by a cent or more. -#}
{% macro apportion(exact, partition_by, order_by) -%}
    {#- Cents of a sum below 10^14 yuan as DECIMAL(31, 14): Spark would round a wider product
        to 6 decimals and rank the remainders differently. -#}
    {%- set cents = 'cast(' ~ exact ~ ' as decimal(28, 14)) * cast(100 as decimal(3, 0))' -%}
    cast(
        floor({{ cents }}) / 100
        + case
            when row_number() over (
                partition by {{ partition_by }}
                order by {{ cents }} - floor({{ cents }}) desc, {{ order_by }}
            ) <= sum({{ cents }}) over (partition by {{ partition_by }})
                - sum(floor({{ cents }})) over (partition by {{ partition_by }})
                then 0.01
            else 0
        end
        as decimal(18, 2)
    )
{%- endmacro %}
