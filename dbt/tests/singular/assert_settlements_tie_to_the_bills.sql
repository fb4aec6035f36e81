-- A check of fct_settlement_checks in Dagster (a test reading several models needs its asset named).
{{ config(meta={'dagster': {'ref': {'name': 'fct_settlement_checks'}}}) }}
-- Σ settled by the payment bills = Σ paid − Σ refunded on Tmall ± the listed discrepancies.
with bills as (
    select
        (
            select coalesce(sum(income), 0) from {{ ref('stg_alipay__bill') }} where business_type = '交易收款'
        )
        + (
            select coalesce(sum(settlement_amount), 0) from {{ ref('stg_wechatpay__bill') }}
            where trade_status = 'SUCCESS'
        )
        - (select coalesce(-sum(expense), 0) from {{ ref('stg_alipay__bill') }} where business_type = '退款')
        - (
            select coalesce(sum(refund_amount), 0) from {{ ref('stg_wechatpay__bill') }}
            where trade_status = 'REFUND'
        ) as settled
),

orders as (
    select
        (select sum(paid_amount) from {{ ref('stg_tmall__orders') }} where is_paid)
        - (
            select coalesce(sum(refund_amount), 0) from {{ ref('stg_tmall__refunds') }}
            where refund_status = '退款成功'
        ) as expected
),

listed as (
    select
        coalesce(sum(difference) filter (where check_type = 'payment'), 0)
        - coalesce(sum(difference) filter (where check_type = 'refund'), 0) as explained
    from {{ ref('fct_settlement_checks') }}
    where is_discrepancy
)

select
    bills.settled,
    orders.expected,
    listed.explained
from bills, orders, listed
where bills.settled <> orders.expected + listed.explained
