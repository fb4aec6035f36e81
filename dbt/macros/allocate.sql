{#- Share of an amount for one row of its partition, by the row's weight, to the cent, by
    largest remainders: every row gets its share rounded down, and the cents those roundings
    left over (the amount itself minus their sum) go one each to the rows with the largest
    remainders (ties: `order_by`). The rows add up to the amount exactly, no row is a cent or
    more off its exact share, and a row never goes negative: giving the last row what the
    others' roundings left, as this macro once did, sent it below zero when thousands of rows
    shared a channel-month. The weight is cast to DECIMAL so no money passes through a float. -#}
{% macro allocate(amount, weight, partition_by, order_by) -%}
    {#- Sized so the exact product fits DECIMAL(38, 20) on every engine (Spark rounds a wider
        product to fewer decimals): amounts below 10^12, weights (shares) below 10. -#}
    {%- set exact_cents = 'cast(' ~ amount ~ ' as decimal(14, 2)) * cast(' ~ weight ~ ' as decimal(19, 18))'
        ~ ' * cast(100 as decimal(3, 0))' -%}
    cast(
        floor({{ exact_cents }}) / 100
        + case
            when row_number() over (
                partition by {{ partition_by }}
                order by {{ exact_cents }} - floor({{ exact_cents }}) desc, {{ order_by }}
            ) <= round({{ amount }} * 100) - sum(floor({{ exact_cents }})) over (partition by {{ partition_by }})
                then 0.01
            else 0
        end
        as decimal(18, 2)
    )
{%- endmacro %}

{#- allocate() for rows known to be split (`alone` false), or the amount itself, to the cent, for
    rows alone in their partition: the same result without the two windows, which are most of
    the cost when most partitions hold one row. -#}
{% macro allocate_unless_alone(amount, weight, partition_by, order_by, alone) -%}
    {%- if alone -%}
        cast(round({{ amount }}, 2) as decimal(18, 2))
    {%- else -%}
        {{ allocate(amount, weight, partition_by, order_by) }}
    {%- endif -%}
{%- endmacro %}
