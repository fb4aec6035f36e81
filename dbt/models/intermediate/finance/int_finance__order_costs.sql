{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key=['store', 'order_id']) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}
-- Stored, not a view: its one consumer and its tests would each recompute it. Incremental by
-- order: a partitioned run rebuilds the orders int_sales__changed_orders lists as exported.
-- Per order, what payment and delivery really cost according to the bills: the Alipay
-- 服务费 lines and the WeChat Pay 手续费 (negative on refunds, the fee given back), and the
-- JD Logistics / Cainiao freight. Orders a bill does not cover fall back to the contract
-- rate (payment) or stay at 0 (freight), and say so in the *_source columns. WeChat Pay
-- fees carry 5 decimals; the P&L takes them rounded to the cent per order.
with orders as (
    select * from {{ ref('fct_orders') }}
    where {{ in_changed_orders('order_id', store_column='store', reasons=['exported']) }}
),

bills as (
    select * from {{ ref('int_payments__bills_by_order') }}
    where {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
),

freight as (
    select
        order_id,
        sum(freight) as freight
    from {{ ref('int_logistics__waybills') }}
    where {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
    group by order_id
),

tmall_payment_methods as (
    select
        order_id,
        payment_method
    from {{ ref('stg_tmall__orders') }}
    where {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
),

payment_rates as (
    select * from {{ ref('payment_fee_rates') }}
),

final as (
    select
        orders.store,
        orders.order_id,
        case
            when orders.store = 'douyin_shop' then 'douyin_pay'
            when methods.payment_method = '微信支付' then 'wechatpay'
            else 'alipay'
        end as payment_provider,
        case
            when not orders.is_paid then 0
            when coalesce(bills.alipay_fee, bills.wechat_fee) is not null
                then round(coalesce(bills.alipay_fee, 0) + coalesce(bills.wechat_fee, 0), 2)
            else round(orders.paid_amount * rates.rate, 2)
        end as payment_fee,
        case
            when not orders.is_paid then 'unpaid'
            when coalesce(bills.alipay_fee, bills.wechat_fee) is not null then 'bill'
            else 'contract_rate'
        end as payment_fee_source,
        coalesce(freight.freight, 0) as logistics_cost,
        case when freight.freight is not null then 'bill' else 'not_billed' end as logistics_source
    from orders
    left join tmall_payment_methods as methods
        on orders.store = 'tmall' and orders.order_id = methods.order_id
    left join bills on orders.store = 'tmall' and orders.order_id = bills.order_id
    left join freight on orders.store = 'tmall' and orders.order_id = freight.order_id
    left join payment_rates as rates
        on rates.provider = case
            when orders.store = 'douyin_shop' then 'douyin_pay'
            when methods.payment_method = '微信支付' then 'wechatpay'
            else 'alipay'
        end
)

select * from final
