{%- set grains = {
    'day': 'calendar.date_day',
    'week': 'calendar.week_start',
    'month': 'calendar.month_start',
    'quarter': 'calendar.quarter_start',
    'year': 'calendar.year_start',
    'fiscal_quarter': 'calendar.fiscal_quarter_start',
    'fiscal_year': 'calendar.fiscal_year_start',
} -%}
{%- set measures = [
    'quantity', 'gmv', 'merchant_discount', 'platform_discount', 'paid_amount', 'refund_amount',
    'net_revenue', 'commission', 'points', 'platform_fees', 'payment_fee', 'logistics_cost', 'cogs', 'cm1', 'cm2',
    'marketing_cost', 'cm3'
] -%}
-- The P&L per period (day, week, month, quarter, year and fiscal quarter and year) × store ×
-- category × SKU × order channel. Paid lines by payment day; gmv_placed counts every order
-- placed in the period (paid or not) by its order day. Money is exact; nothing is rounded.
with lines as (
    select * from {{ ref('fct_order_lines') }}
),

calendar as (
    select * from {{ ref('dim_calendar') }}
),

paid as (
    select
        paid_date as date_day,
        store,
        category,
        sku_id,
        order_channel,
        count(distinct order_id) as orders_paid,
        {%- for m in measures %}
            sum({{ m }}) as {{ m }},
        {%- endfor %}
        0 as gmv_placed
    from lines
    where is_paid
    group by all
),

placed as (
    select
        order_date as date_day,
        store,
        category,
        sku_id,
        order_channel,
        0 as orders_paid,
        {%- for m in measures %}
            0 as {{ m }},
        {%- endfor %}
        sum(gmv) as gmv_placed
    from lines
    group by all
),

daily as (
    select * from paid
    union all
    select * from placed
),

periods as (
    {%- for grain, column in grains.items() %}
        select
            '{{ grain }}' as period_grain,
            {{ column }} as period_start,
            {%- if grain.startswith('fiscal') %}
                'FY' || calendar.fiscal_year
                {%- if grain == 'fiscal_quarter' %} || ' Q' || calendar.fiscal_quarter{% endif %} as period_label,
            {%- else %}
                cast({{ column }} as {{ text_type() }}) as period_label,
            {%- endif %}
            daily.*
        from daily
        inner join calendar on daily.date_day = calendar.date_day
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        period_grain,
        period_start,
        period_label,
        store,
        category,
        sku_id,
        order_channel,
        cast(sum(orders_paid) as bigint) as orders_paid,
        cast(sum(quantity) as bigint) as quantity,
        cast(sum(gmv_placed) as decimal(18, 2)) as gmv_placed,
    {%- for m in measures if m != 'quantity' %}
        cast(sum({{ m }}) as decimal(18, 2)) as {{ m }}{{ "," if not loop.last }}
    {%- endfor %}
    from periods
    group by all
)

select * from final
