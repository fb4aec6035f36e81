-- One row per day with calendar and fiscal periods, so every finance mart and BI tool rolls
-- days up the same way.
-- The configured span, stretched to every date an order has: no order falls off a period mart.
with bounds as (
    select
        least(date '{{ var("calendar_start") }}', min(order_date), min(paid_date)) as first_day,
        greatest(date '{{ var("calendar_end") }}', max(order_date), max(paid_date)) as last_day
    from {{ ref('fct_orders') }}
),

days as (
    select cast(spine.day_start as date) as date_day
    from bounds
    {{ day_series('bounds.first_day', 'bounds.last_day', 'spine', 'day_start') }}
),

final as (
    select
        date_day,
        cast(date_trunc('week', date_day) as date) as week_start,
        cast(date_trunc('month', date_day) as date) as month_start,
        cast(date_trunc('quarter', date_day) as date) as quarter_start,
        cast(date_trunc('year', date_day) as date) as year_start,
        year(date_day) as calendar_year,
        quarter(date_day) as calendar_quarter,
        month(date_day) as calendar_month,
        {{ iso_day_of_week('date_day') }} as iso_day_of_week,
        cast({{ fiscal_year('date_day') }} as integer) as fiscal_year,
        cast({{ fiscal_quarter('date_day') }} as integer) as fiscal_quarter,
        concat(
            'FY', cast({{ fiscal_year('date_day') }} as {{ text_type() }}),
            ' Q', cast({{ fiscal_quarter('date_day') }} as {{ text_type() }})
        ) as fiscal_quarter_label,
        {{ add_months(
            'make_date(' ~ fiscal_year('date_day') ~ ' - ' ~ (0 if (var('fiscal_year_start_month') | int) == 1 else 1)
            ~ ', ' ~ var('fiscal_year_start_month') ~ ', 1)',
            '3 * (' ~ fiscal_quarter('date_day') ~ ' - 1)'
        ) }} as fiscal_quarter_start,
        make_date(
            {{ fiscal_year('date_day') }} - {{ 0 if (var('fiscal_year_start_month') | int) == 1 else 1 }},
            {{ var('fiscal_year_start_month') }},
            1
        ) as fiscal_year_start
    from days
)

select * from final
