with ads as (
    select * from {{ ref('stg_xiaohongshu__juguang_ads') }}
),

orders as (
    select * from {{ ref('stg_tmall__orders') }}
),

ads_daily as (
    select
        report_date as date_day,
        sum(spend) as ad_spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(engagements) as engagements
    from ads
    group by 1
),

placed_daily as (
    select
        order_date as date_day,
        count(*) as orders_placed,
        sum(gmv) as gmv_placed
    from orders
    group by 1
),

paid_daily as (
    select
        paid_date as date_day,
        count(*) as orders_paid,
        sum(paid_amount) as paid_amount
    from orders
    where is_paid
    group by 1
),

days as (
    select date_day from ads_daily
    union
    select date_day from placed_daily
    union
    select date_day from paid_daily
),

final as (
    select
        days.date_day,
        cast(coalesce(ads_daily.ad_spend, 0) as decimal(18, 2)) as ad_spend,
        cast(coalesce(ads_daily.impressions, 0) as bigint) as impressions,
        cast(coalesce(ads_daily.clicks, 0) as bigint) as clicks,
        cast(coalesce(ads_daily.engagements, 0) as bigint) as engagements,
        {{ safe_ratio('ads_daily.clicks', 'ads_daily.impressions') }} as ctr,
        {{ safe_ratio('ads_daily.ad_spend', 'ads_daily.clicks', 4) }} as cpc,
        cast(coalesce(placed_daily.orders_placed, 0) as bigint) as orders_placed,
        cast(coalesce(placed_daily.gmv_placed, 0) as decimal(18, 2)) as gmv_placed,
        cast(coalesce(paid_daily.orders_paid, 0) as bigint) as orders_paid,
        cast(coalesce(paid_daily.paid_amount, 0) as decimal(18, 2)) as paid_amount
    from days
    left join ads_daily on days.date_day = ads_daily.date_day
    left join placed_daily on days.date_day = placed_daily.date_day
    left join paid_daily on days.date_day = paid_daily.date_day
)

select * from final
