-- What the Alipay ledger and the WeChat Pay bill say about each order (商户订单号): money
-- received, refunded, fees and line counts, side by side. Alipay expenses are negative in the
-- ledger and are turned positive here; WeChat Pay fees keep their 5 decimals and their sign
-- (negative on refunds: the fee given back).
with alipay as (
    select
        order_id,
        count(*) as line_count,
        count(*) filter (where business_type = '交易收款') as payment_lines,
        sum(income) filter (where business_type = '交易收款') as received,
        -sum(expense) filter (where business_type = '退款') as refunded,
        -sum(expense) filter (where business_type = '服务费') as fee
    from {{ ref('stg_alipay__bill') }}
    group by order_id
),

wechat as (
    select
        order_id,
        count(*) as line_count,
        count(*) filter (where trade_status = 'SUCCESS') as payment_lines,
        sum(settlement_amount) filter (where trade_status = 'SUCCESS') as received,
        sum(refund_amount) filter (where trade_status = 'REFUND') as refunded,
        sum(fee) as fee,
        max(fee_rate) filter (where trade_status = 'SUCCESS') as billed_rate
    from {{ ref('stg_wechatpay__bill') }}
    group by order_id
)

select
    coalesce(alipay.order_id, wechat.order_id) as order_id,
    coalesce(alipay.line_count, 0) as alipay_lines,
    coalesce(alipay.payment_lines, 0) as alipay_payment_lines,
    alipay.received as alipay_received,
    alipay.refunded as alipay_refunded,
    alipay.fee as alipay_fee,
    coalesce(wechat.line_count, 0) as wechat_lines,
    coalesce(wechat.payment_lines, 0) as wechat_payment_lines,
    wechat.received as wechat_received,
    wechat.refunded as wechat_refunded,
    wechat.fee as wechat_fee,
    wechat.billed_rate as wechat_billed_rate
from alipay
full outer join wechat on alipay.order_id = wechat.order_id
