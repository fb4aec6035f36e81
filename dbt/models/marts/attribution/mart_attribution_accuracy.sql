-- How close each model comes to the simulation's true incremental revenue per channel.
-- Attribution credits every yuan of a touched order to channels while the truth keeps a
-- baseline, so levels differ; the channel *shares* are the fair comparison and rank models.
with attributed as (
    select
        window_days,
        attribution_model,
        channel,
        sum(attributed_paid_amount) as attributed_paid_amount
    from {{ ref('mart_attribution_daily') }}
    where channel <> 'direct_or_organic'
    group by all
),

truth as (
    select * from {{ ref('stg_truth__channel_incremental_revenue') }}
),

models as (
    select distinct
        window_days,
        attribution_model
    from attributed
),

grid as (
    select
        models.window_days,
        models.attribution_model,
        truth.channel,
        truth.true_incremental_revenue,
        coalesce(attributed.attributed_paid_amount, 0) as attributed_paid_amount
    from models
    cross join truth
    left join attributed
        on
            models.window_days = attributed.window_days
            and models.attribution_model = attributed.attribution_model
            and truth.channel = attributed.channel
),

shares as (
    select
        *,
        {{ ratio('attributed_paid_amount', 'sum(attributed_paid_amount) over per_model') }} as attributed_share,
        {{ ratio('true_incremental_revenue', 'sum(true_incremental_revenue) over per_model') }} as true_share
    from grid
    window per_model as (partition by window_days, attribution_model)
),

scored as (
    select
        *,
        sum(abs(attributed_share - true_share)) over (partition by window_days, attribution_model) / 2 as model_share_error
    from shares
),

final as (
    select
        window_days,
        attribution_model,
        channel,
        cast(attributed_paid_amount as decimal(18, 2)) as attributed_paid_amount,
        cast(true_incremental_revenue as decimal(18, 2)) as true_incremental_revenue,
        cast(attributed_paid_amount - true_incremental_revenue as decimal(18, 2)) as revenue_error,
        {{ round_half_up('attributed_share', 6) }} as attributed_share,
        {{ round_half_up('true_share', 6) }} as true_share,
        {{ round_half_up('attributed_share - true_share', 6) }} as share_error,
        {{ round_half_up('model_share_error', 6) }} as model_share_error,
        cast(dense_rank() over (partition by window_days order by round(model_share_error, 9)) as bigint)
            as model_rank
    from scored
)

select * from final
