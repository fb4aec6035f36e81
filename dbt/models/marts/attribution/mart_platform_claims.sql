-- What each platform claims it sold, beside the de-duplicated reality: our paid orders that
-- day and the platform's share of them under the default attribution model and window.
with claims as (
    select
        date as date_day,
        'xiaohongshu' as platform,
        sum(claimed_orders) as claimed_orders,
        sum(claimed_gmv) as claimed_gmv
    from {{ ref('stg_xiaohongshu__xiaohongxing') }}
    group by all
    union all
    select
        date as date_day,
        'douyin' as platform,
        sum(claimed_orders) as claimed_orders,
        sum(claimed_gmv) as claimed_gmv
    from {{ ref('stg_douyin__qianchuan_ads') }}
    group by all
    union all
    -- 万相台 claims GMV only, not a number of orders.
    select
        date as date_day,
        'alimama' as platform,
        null as claimed_orders,
        sum(claimed_gmv) as claimed_gmv
    from {{ ref('stg_alimama__ads') }}
    group by all
),

actual as (
    select
        paid_date as date_day,
        count(*) as actual_orders,
        sum(paid_amount) as actual_paid_amount
    from {{ ref('fct_orders') }}
    where is_paid
    group by all
),

attributed as (
    select
        date_day,
        channel as platform,
        sum(attributed_orders) as attributed_orders,
        sum(attributed_paid_amount) as attributed_paid_amount
    from {{ ref('mart_attribution_daily') }}
    where attribution_model = '{{ var("attribution_default_model") }}' and is_default_window
    group by all
),

daily_claims as (
    select
        date_day,
        sum(claimed_orders) as all_claimed_orders
    from claims
    group by all
),

final as (
    select
        claims.date_day,
        claims.platform,
        cast(claims.claimed_orders as bigint) as claimed_orders,
        cast(claims.claimed_gmv as decimal(18, 2)) as claimed_gmv,
        cast(coalesce(attributed.attributed_orders, 0) as decimal(18, 12)) as attributed_orders,
        cast(coalesce(attributed.attributed_paid_amount, 0) as decimal(18, 2)) as attributed_paid_amount,
        cast(coalesce(actual.actual_orders, 0) as bigint) as actual_orders,
        cast(coalesce(actual.actual_paid_amount, 0) as decimal(18, 2)) as actual_paid_amount,
        {{ safe_ratio('claims.claimed_orders', 'attributed.attributed_orders', 4) }} as claimed_to_attributed_orders,
        {{ safe_ratio('claims.claimed_gmv', 'attributed.attributed_paid_amount', 4) }} as claimed_to_attributed_gmv,
        {{ safe_ratio('daily_claims.all_claimed_orders', 'actual.actual_orders', 4) }} as day_over_claim_ratio,
        '{{ var("attribution_default_model") }}' as attribution_model
    from claims
    left join attributed on claims.date_day = attributed.date_day and claims.platform = attributed.platform
    left join actual on claims.date_day = actual.date_day
    left join daily_claims on claims.date_day = daily_claims.date_day
)

select * from final
