{{ config(
    materialized='incremental',
    incremental_strategy=by_key_strategy(),
    unique_key=['store', 'order_id'],
    meta={'publish_by_run': 'dbt_invocation_id'}
) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}
-- Incremental by order: a partitioned run rebuilds the orders int_sales__changed_orders lists,
-- which hold every order of each person they touch (conversion numbers count a person's orders).
with orders as (
    select * from {{ ref('int_sales__orders') }}
    where {{ in_changed_orders('order_id', store_column='store') }}
),

buyers as (
    select
        identifier as buyer_oneid,
        person_key
    from {{ ref('dim_person_identifiers') }}
    where identifier_type = 'tmall_buyer_id'
),

-- The jump-link click an order carries says which seeding platform, campaign, note and
-- creator brought the buyer (the first click with that id).
clicks as (
    select * from {{ ref('int_sales__first_clicks') }}
),

enriched as (
    select
        orders.*,
        buyers.person_key,
        case when orders.is_paid then orders.paid_amount + orders.platform_discount - orders.refund_amount else 0 end
            as net_revenue,
        orders.is_paid and orders.refund_amount >= orders.paid_amount as is_fully_refunded,
        orders.is_paid and orders.refund_amount < orders.paid_amount as is_conversion,
        case
            when orders.store = 'douyin_shop' then 'douyin'
            else coalesce(clicks.channel, 'tmall')
        end as order_channel,
        clicks.campaign_id,
        clicks.note_id,
        clicks.creator_id
    from orders
    left join buyers on orders.buyer_oneid = buyers.buyer_oneid
    left join clicks on orders.click_id = clicks.click_id
),

-- Only orders that stayed bought (paid, not refunded in full) count towards repurchase.
conversions as (
    select
        store,
        order_id,
        row_number() over (partition by person_key order by paid_at, store, order_id) as conversion_number,
        lag(paid_date) over (partition by person_key order by paid_at, store, order_id) as previous_conversion_date
    from enriched
    where is_conversion and person_key is not null
),

sequenced as (
    select
        enriched.*,
        conversions.conversion_number,
        conversions.previous_conversion_date
    from enriched
    left join conversions on enriched.store = conversions.store and enriched.order_id = conversions.order_id
),

final as (
    select
        store,
        order_id,
        person_key,
        order_status,
        order_created_at,
        order_date,
        paid_at,
        paid_date,
        is_paid,
        category,
        cast(gmv as decimal(18, 2)) as gmv,
        cast(paid_amount as decimal(18, 2)) as paid_amount,
        cast(platform_discount as decimal(18, 2)) as platform_discount,
        cast(merchant_discount as decimal(18, 2)) as merchant_discount,
        cast(refund_amount as decimal(18, 2)) as refund_amount,
        refunded_at,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        delivered_at,
        is_delivered,
        is_fully_refunded,
        is_conversion,
        traffic_source,
        click_id,
        order_channel,
        campaign_id,
        note_id,
        creator_id,
        creator_nickname,
        cast(conversion_number as bigint) as conversion_number,
        cast({{ days_between('previous_conversion_date', 'paid_date') }} as bigint) as days_since_previous_conversion,
        coalesce(
            conversion_number > 1
            and {{ days_between('previous_conversion_date', 'paid_date') }} <= {{ var('repurchase_window_days') }},
            false
        ) as is_repurchase,
        {{ dbt_invocation_id() }} as dbt_invocation_id
    from sequenced
)

select * from final
