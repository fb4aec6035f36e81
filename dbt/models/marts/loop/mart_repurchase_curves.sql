-- Share of each first-purchase cohort that bought again within N days, by cohort week and
-- month and by acquisition platform. Additive: buyers and repurchasers sum across platforms.
with buyers as (
    select * from {{ ref('dim_buyers') }}
),

last_day as (
    select max(paid_date) as data_through from {{ ref('fct_orders') }}
),

horizons as (
    {%- for days in var('repurchase_curve_days') %}
        select {{ days }} as days_after_first_purchase{{ " union all" if not loop.last }}
    {%- endfor %}
),

cohorts as (
    select
        'week' as cohort_grain,
        cohort_week as cohort_start,
        cohort_week + interval 6 day as cohort_end,
        *
    from buyers
    union all
    select
        'month' as cohort_grain,
        cohort_month as cohort_start,
        cohort_month + interval 1 month - interval 1 day as cohort_end,
        *
    from buyers
),

final as (
    select
        cohorts.cohort_grain,
        cohorts.cohort_start,
        cast(cohorts.cohort_end as date) as cohort_end,
        cohorts.acquisition_platform,
        horizons.days_after_first_purchase,
        count(*) as cohort_buyers,
        count(*) filter (
            where cohorts.days_to_second_purchase <= horizons.days_after_first_purchase
        ) as repurchasers,
        {{ safe_ratio(
            "count(*) filter (where cohorts.days_to_second_purchase <= horizons.days_after_first_purchase)",
            "count(*)"
        ) }} as repurchase_rate,
        cast(cohorts.cohort_end as date) + horizons.days_after_first_purchase
        <= last_day.data_through as is_complete
    from cohorts
    cross join horizons
    cross join last_day
    group by
        cohorts.cohort_grain, cohorts.cohort_start, cohorts.cohort_end, cohorts.acquisition_platform,
        horizons.days_after_first_purchase, last_day.data_through
)

select * from final
