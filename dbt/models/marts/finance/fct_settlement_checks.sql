-- Every paid Tmall order checked against the money and parcels that really moved: its payment
-- line (Alipay 交易收款 or WeChat Pay SUCCESS), its refunds, its payment fee against the
-- contract rate, and for shipped orders its waybill in the JD Logistics / Cainiao bills. Bill
-- lines and waybills of unknown orders are checks of their own. One row per check; status
-- `matched` or the kind of discrepancy, with the amounts and a reason. Incremental by order id:
-- a partitioned run redoes the checks of the orders int_sales__changed_orders lists as exported
-- (a bill or waybill of the partition's days makes its order id listed, known or not).
{{ config(
    materialized='incremental',
    incremental_strategy=by_key_strategy(),
    unique_key='order_id',
    meta={'publish_by_run': 'dbt_invocation_id'}
) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}
with orders as (
    select * from {{ ref('stg_tmall__orders') }}
    where {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
),

refunds as (
    select
        order_id,
        sum(refund_amount) as refunded
    from {{ ref('stg_tmall__refunds') }}
    where refund_status = '退款成功' and {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
    group by order_id
),

bills as (
    select * from {{ ref('int_payments__bills_by_order') }}
    where {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
),

waybills as (
    select
        order_id,
        carrier_bill as bill_source,
        freight
    from {{ ref('int_logistics__waybills') }}
    where {{ in_changed_orders('order_id', store='tmall', reasons=['exported']) }}
),

rates as (
    select * from {{ ref('payment_fee_rates') }}
),

paid as (
    select
        orders.order_id,
        orders.paid_date,
        orders.paid_amount,
        orders.order_status,
        coalesce(refunds.refunded, 0) as refunded,
        case when orders.payment_method = '微信支付' then 'wechatpay' else 'alipay' end as payment_provider
    from orders
    left join refunds on orders.order_id = refunds.order_id
    where orders.is_paid
),

billed as (
    select
        paid.*,
        case paid.payment_provider
            when 'wechatpay' then bills.wechat_payment_lines else bills.alipay_payment_lines
        end as payment_lines,
        case paid.payment_provider when 'wechatpay' then bills.wechat_received else bills.alipay_received end
            as received,
        coalesce(
            case paid.payment_provider when 'wechatpay' then bills.wechat_refunded else bills.alipay_refunded end, 0
        ) as bill_refunded,
        case paid.payment_provider when 'wechatpay' then bills.wechat_fee else bills.alipay_fee end as billed_fee,
        bills.wechat_billed_rate as billed_rate,
        rates.rate as contract_rate
    from paid
    left join bills on paid.order_id = bills.order_id
    left join rates on paid.payment_provider = rates.provider
),

payment_checks as (
    select
        'payment' as check_type,
        order_id,
        paid_date,
        payment_provider as bill_source,
        case
            when coalesce(payment_lines, 0) = 0 then 'missing_in_bill'
            when received <> paid_amount then 'amount_mismatch'
            else 'matched'
        end as status,
        paid_amount as expected_amount,
        coalesce(received, 0) as billed_amount,
        case
            when coalesce(payment_lines, 0) = 0 then 'paid order has no payment line in the ' || payment_provider || ' bill'
            when received <> paid_amount then 'bill settles ' || received || ' for an order paid ' || paid_amount
        end as reason
    from billed
),

refund_checks as (
    select
        'refund' as check_type,
        order_id,
        paid_date,
        payment_provider as bill_source,
        case when bill_refunded <> refunded then 'refund_mismatch' else 'matched' end as status,
        refunded as expected_amount,
        bill_refunded as billed_amount,
        case
            when bill_refunded <> refunded
                then 'bill refunds ' || bill_refunded || ' where Tmall refunded ' || refunded
        end as reason
    from billed
    where refunded > 0 or bill_refunded > 0
),

-- Alipay bills the fee in cents; WeChat Pay states the rate it applied.
fee_checks as (
    select
        'payment_fee' as check_type,
        order_id,
        paid_date,
        payment_provider as bill_source,
        case
            when payment_provider = 'wechatpay' and billed_rate <> contract_rate then 'fee_rate_off'
            when payment_provider = 'alipay' and billed_fee <> round(paid_amount * contract_rate, 2) then 'fee_rate_off'
            else 'matched'
        end as status,
        round(paid_amount * contract_rate, 2) as expected_amount,
        round(billed_fee, 2) as billed_amount,
        case
            when payment_provider = 'wechatpay' and billed_rate <> contract_rate
                then 'WeChat Pay charged ' || billed_rate || ' where the contract rate is ' || contract_rate
            when payment_provider = 'alipay' and billed_fee <> round(paid_amount * contract_rate, 2)
                then 'Alipay fee ' || billed_fee || ' is not ' || contract_rate || ' × ' || paid_amount
        end as reason
    from billed
    where coalesce(payment_lines, 0) > 0
),

-- Shipped = paid and past 买家已付款 (waiting to ship).
waybill_checks as (
    select
        'waybill' as check_type,
        paid.order_id,
        paid.paid_date,
        coalesce(min(waybills.bill_source), 'jd_logistics/cainiao') as bill_source,
        case when count(waybills.order_id) = 0 then 'waybill_missing_in_bill' else 'matched' end as status,
        null as expected_amount,
        coalesce(sum(waybills.freight), 0) as billed_amount,
        case
            when count(waybills.order_id) = 0 then 'shipped order has no waybill in the JD Logistics or Cainiao bill'
        end as reason
    from paid
    left join waybills on paid.order_id = waybills.order_id
    where paid.order_status <> '买家已付款'
    group by paid.order_id, paid.paid_date
),

unknown_bill_orders as (
    select
        'payment' as check_type,
        bill.order_id,
        null as paid_date,
        bill.bill_source,
        'bill_without_order' as status,
        0 as expected_amount,
        bill.received as billed_amount,
        'the ' || bill.bill_source || ' bill settles money for an order the store never exported' as reason
    from (
        select
            order_id,
            'alipay' as bill_source,
            coalesce(alipay_received, 0) as received
        from bills
        where alipay_lines > 0
        union all
        select
            order_id,
            'wechatpay' as bill_source,
            coalesce(wechat_received, 0) as received
        from bills
        where wechat_lines > 0
    ) as bill
    where bill.order_id not in (select orders.order_id from orders)
),

unknown_waybills as (
    select
        'waybill' as check_type,
        order_id,
        null as paid_date,
        bill_source,
        'waybill_without_order' as status,
        null as expected_amount,
        sum(freight) as billed_amount,
        'the ' || bill_source || ' bill charges freight for an order the store never exported' as reason
    from waybills
    where order_id not in (select orders.order_id from orders)
    group by order_id, bill_source
),

unioned as (
    select * from payment_checks
    union all
    select * from refund_checks
    union all
    select * from fee_checks
    union all
    select * from waybill_checks
    union all
    select * from unknown_bill_orders
    union all
    select * from unknown_waybills
),

final as (
    select
        check_type,
        order_id,
        cast(paid_date as date) as paid_date,
        bill_source,
        status,
        status <> 'matched' as is_discrepancy,
        cast(expected_amount as decimal(18, 2)) as expected_amount,
        cast(billed_amount as decimal(18, 2)) as billed_amount,
        cast(billed_amount - expected_amount as decimal(18, 2)) as difference,
        reason,
        {{ dbt_invocation_id() }} as dbt_invocation_id
    from unioned
)

select * from final
