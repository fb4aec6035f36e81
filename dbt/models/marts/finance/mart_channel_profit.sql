-- What each channel really earned per month after its marketing spend: the order-level CM2 of
-- the P&L shared out by attribution credits, minus the channel's spend (ads, creator fees),
-- for every model and window. CM3 = attributed CM2 − spend.
with attributed as (
    select
        cast(date_trunc('month', date_day) as date) as month_start,
        channel,
        attribution_model,
        window_days,
        is_default_window,
        sum(attributed_net_revenue) as attributed_net_revenue,
        sum(attributed_cm2) as attributed_cm2
    from {{ ref('mart_attribution_daily') }}
    group by all
),

spend as (
    select * from {{ ref('int_marketing__monthly_spend') }}
),

models as (
    select distinct
        attribution_model,
        window_days,
        is_default_window
    from attributed
),

grid as (
    select
        month_start,
        channel,
        attribution_model,
        window_days,
        is_default_window
    from attributed
    union
    select
        spend.month_start,
        spend.channel,
        models.attribution_model,
        models.window_days,
        models.is_default_window
    from spend
    cross join models
),

final as (
    select
        grid.month_start,
        grid.channel,
        grid.attribution_model,
        grid.window_days,
        grid.is_default_window,
        cast(coalesce(spend.spend, 0) as decimal(18, 2)) as spend,
        cast(coalesce(attributed.attributed_net_revenue, 0) as decimal(18, 2)) as attributed_net_revenue,
        cast(round(coalesce(attributed.attributed_cm2, 0), 2) as decimal(18, 2)) as attributed_cm2,
        cast(round(coalesce(attributed.attributed_cm2, 0), 2) - coalesce(spend.spend, 0) as decimal(18, 2)) as cm3,
        {{ safe_ratio('round(coalesce(attributed.attributed_cm2, 0), 2)', 'spend.spend', 4) }} as profit_roi,
        {{ safe_ratio('attributed.attributed_net_revenue', 'spend.spend', 4) }} as net_roas
    from grid
    left join attributed
        on
            grid.month_start = attributed.month_start
            and grid.channel = attributed.channel
            and grid.attribution_model = attributed.attribution_model
            and grid.window_days = attributed.window_days
    left join spend on grid.month_start = spend.month_start and grid.channel = spend.channel
)

select * from final
