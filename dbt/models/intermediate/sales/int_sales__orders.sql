{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key=['store', 'order_id']) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}
-- Stored, not a view: its one consumer and its tests would each recompute it. Incremental by
-- order: a partitioned run rebuilds the orders int_sales__changed_orders lists as exported.
-- Orders of both stores at one grain (store × order_id), with the category of the goods and
-- the successful refunds. Tmall has buyer ids and click ids; the Douyin shop export has
-- neither (its orders stay anonymous).
with tmall_orders as (
    select * from {{ ref('stg_tmall__orders') }}
    where {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
),

tmall_refunds as (
    select * from {{ ref('stg_tmall__refunds') }}
    where {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
),

douyin_lines as (
    select * from {{ ref('stg_douyin__shop_orders') }}
    where {{ in_changed_orders('order_id', store='douyin_shop', reasons=['exported']) }}
),

order_lines as (
    select * from {{ ref('int_sales__order_lines') }}
    where {{ in_changed_orders('order_id', store_column='store', reasons=['exported']) }}
),

-- 签收: the carriers' freight bills say when each parcel was signed for.
deliveries as (
    select
        order_id,
        min(signed_at) as delivered_at
    from {{ ref('int_logistics__waybills') }}
    where signed_at is not null and {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
    group by order_id
),

line_amounts as (
    select
        store,
        order_id,
        category,
        sum(line_gmv) as line_amount
    from order_lines
    group by all
),

-- The category of an order is that of its largest line by amount (ties: first category by
-- name), so every order counts in exactly one category.
order_categories as (
    select
        store,
        order_id,
        min(category) filter (where line_amount = max_line_amount) as category
    from (
        select
            *,
            max(line_amount) over (partition by store, order_id) as max_line_amount
        from line_amounts
    ) as ranked
    group by store, order_id
),

successful_refunds as (
    select
        order_id,
        sum(refund_amount) as refund_amount,
        min(finished_at) as refunded_at
    from tmall_refunds
    where refund_status = '退款成功'
    group by order_id
),

tmall as (
    select
        'tmall' as store,
        orders.order_id,
        orders.buyer_oneid,
        orders.order_status,
        orders.order_created_at,
        orders.order_date,
        orders.paid_at,
        orders.paid_date,
        orders.is_paid,
        orders.gmv,
        case when orders.is_paid then orders.paid_amount else 0 end as paid_amount,
        orders.platform_discount,
        orders.merchant_discount,
        coalesce(refunds.refund_amount, 0) as refund_amount,
        refunds.refunded_at,
        deliveries.delivered_at,
        deliveries.delivered_at is not null as is_delivered,
        orders.traffic_source,
        orders.click_id,
        cast(null as {{ text_type() }}) as creator_nickname
    from tmall_orders as orders
    left join successful_refunds as refunds on orders.order_id = refunds.order_id
    left join deliveries on orders.order_id = deliveries.order_id
),

douyin_orders as (
    select
        order_id,
        min(submitted_at) as order_created_at,
        min(paid_at) as paid_at,
        any_value(order_status) as order_status,
        sum(payable_amount) as payable_amount,
        sum(platform_discount) as platform_discount,
        sum(merchant_discount) as merchant_discount,
        any_value(traffic_source) as traffic_source,
        nullif(any_value(creator_nickname), '') as creator_nickname
    from douyin_lines
    group by order_id
),

douyin_gmv as (
    select
        order_id,
        sum(line_gmv) as gmv
    from order_lines
    where store = 'douyin_shop'
    group by order_id
),

-- The Douyin shop export has no refund report: an order paid and then closed (已关闭) was
-- refunded in full.
douyin as (
    select
        'douyin_shop' as store,
        orders.order_id,
        cast(null as {{ text_type() }}) as buyer_oneid,
        orders.order_status,
        orders.order_created_at,
        cast(orders.order_created_at as date) as order_date,
        orders.paid_at,
        cast(orders.paid_at as date) as paid_date,
        orders.paid_at is not null as is_paid,
        douyin_gmv.gmv,
        case when orders.paid_at is not null then orders.payable_amount else 0 end as paid_amount,
        orders.platform_discount,
        orders.merchant_discount,
        case
            when orders.paid_at is not null and orders.order_status = '已关闭' then orders.payable_amount
            else 0
        end as refund_amount,
        cast(null as timestamp) as refunded_at,
        -- The shop export carries no sign-for time, only the status: 已完成 = signed for.
        cast(null as timestamp) as delivered_at,
        orders.order_status = '已完成' as is_delivered,
        orders.traffic_source,
        cast(null as {{ text_type() }}) as click_id,
        orders.creator_nickname
    from douyin_orders as orders
    left join douyin_gmv on orders.order_id = douyin_gmv.order_id
),

unioned as (
    select * from tmall
    union all
    select * from douyin
),

final as (
    select
        unioned.*,
        coalesce(order_categories.category, 'unknown') as category
    from unioned
    left join order_categories
        on unioned.store = order_categories.store and unioned.order_id = order_categories.order_id
)

select * from final
