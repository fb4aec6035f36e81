-- The brand's own Tmall and Douyin-shop growth beside the platforms' published growth
-- (reference/market_context.csv, each figure with its source and date). The brand's growth is
-- month over month in paid amount per day covered, so a month still running compares fairly
-- with a full one; the platform figures are year over year for the period they name.
with daily as (
    select
        period_start as date_day,
        store,
        sum(paid_amount) as paid_amount
    from {{ ref('mart_pnl_periods') }}
    where period_grain = 'day'
    group by all
),

coverage as (
    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from daily
),

monthly as (
    select
        cast(date_trunc('month', daily.date_day) as date) as month_start,
        daily.store,
        coverage.first_day,
        coverage.last_day,
        sum(daily.paid_amount) as paid_amount
    from daily
    cross join coverage
    group by all
),

covered as (
    select
        month_start,
        store,
        paid_amount,
        {{ days_between(
            'greatest(month_start, first_day)',
            'least(' ~ add_months('month_start', 1) ~ ', cast(last_day + interval 1 day as date))'
        ) }} as days_covered
    from monthly
),

growth as (
    select
        *,
        {{ ratio('paid_amount', 'days_covered') }} as paid_per_day,
        lag({{ ratio('paid_amount', 'days_covered') }}) over (partition by store order by month_start) as previous_paid_per_day
    from covered
),

context as (
    select * from {{ ref('market_context') }}
),

final as (
    select
        growth.month_start,
        growth.store,
        cast(growth.paid_amount as decimal(18, 2)) as brand_paid_amount,
        cast(growth.days_covered as integer) as days_covered,
        {{ round_half_up('growth.paid_per_day', 2) }} as brand_paid_per_day,
        {{ safe_ratio('growth.paid_per_day - growth.previous_paid_per_day', 'growth.previous_paid_per_day', 4) }}
            as brand_growth_mom,
        context.metric as platform_metric,
        context.period as platform_period,
        context.value as platform_value,
        context.yoy_growth as platform_growth_yoy,
        context.source as platform_source,
        context.as_of as platform_as_of
    from growth
    left join context
        on
            context.platform = case growth.store when 'douyin_shop' then 'douyin' else 'tmall' end
            and context.metric in ('ecommerce_gmv', 'taotian_revenue')
)

select * from final
