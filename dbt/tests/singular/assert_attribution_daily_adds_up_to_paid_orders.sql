-- A check of mart_attribution_daily in Dagster (a test reading several models needs its asset named).
{{ config(meta={'dagster': {'ref': {'name': 'mart_attribution_daily'}}}) }}
-- Per payment day, every model and window hands out exactly the day's paid orders and money.
with attributed as (
    select
        date_day,
        attribution_model,
        window_days,
        sum(attributed_orders) as orders,
        sum(attributed_paid_amount) as paid_amount
    from {{ ref('mart_attribution_daily') }}
    group by all
),

paid as (
    select
        paid_date as date_day,
        count(*) as orders,
        sum(paid_amount) as paid_amount
    from {{ ref('fct_orders') }}
    where is_paid
    group by all
)

select
    attributed.*,
    paid.orders as paid_orders,
    paid.paid_amount as paid_paid_amount
from attributed
left join paid on attributed.date_day = paid.date_day
where attributed.orders <> paid.orders or attributed.paid_amount <> paid.paid_amount
