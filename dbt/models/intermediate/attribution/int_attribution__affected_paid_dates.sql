{{ config(materialized='table') }}
{%- set window = run_window() %}
{%- if window is not none %}
    {%- do require_changed_orders('compares the orders int_sales__changed_orders lists') %}
    {%- do require_in_run('int_attribution__recredited_orders', 're-sums the days of the orders credited anew') %}
{%- endif %}
-- The payment days mart_attribution_daily re-sums in this run: on a partitioned run, the days
-- whose credits it recomputes (the partition's days and the longest lookback after them) and
-- the payment days, before and after, of the orders whose money, payment day or first-purchase
-- flag it changed (a refund, a late waybill or payment bill, a new buyer link) or that it
-- credits anew (int_attribution__recredited_orders); on a full build, every payment day.
-- Compared with what fct_orders and fct_order_lines held before the run
-- (int_sales__changed_orders), so a bill that confirms the estimated fee re-sums nothing.
-- Those values are what the mart last summed only if the run before this one summed it: after a
-- run killed or failed between fct_orders and the mart, every payment day is re-summed once.
with changed as (
    select * from {{ ref('int_sales__changed_orders') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where (store, order_id) in (
        select
            changed.store,
            changed.order_id
        from changed
    )
),

margins as (
    select
        store,
        order_id,
        sum(cm2) as cm2
    from {{ ref('fct_order_lines') }}
    where (store, order_id) in (
        select
            changed.store,
            changed.order_id
        from changed
        where changed.reason <> 'same_person'
    )
    group by store, order_id
),

money_changed as (
    select
        case when orders.is_paid then orders.paid_date end as paid_date,
        changed.previous_paid_date
    from changed
    left join orders on changed.store = orders.store and changed.order_id = orders.order_id
    left join margins on changed.store = margins.store and changed.order_id = margins.order_id
    where
        case when orders.is_paid then orders.paid_date end is distinct from changed.previous_paid_date
        or orders.gmv is distinct from changed.previous_gmv
        or orders.paid_amount is distinct from changed.previous_paid_amount
        or orders.net_revenue is distinct from changed.previous_net_revenue
        or (changed.reason <> 'same_person' and margins.cm2 is distinct from changed.previous_cm2)
        or coalesce(orders.conversion_number = 1, false) <> coalesce(changed.previous_conversion_number = 1, false)
),

credited as (
    select distinct paid_date
    from {{ ref('fct_orders') }}
    {%- if window is not none %}
        where
            is_paid
            and (
                {{ in_run_days('paid_date', longest_attribution_window()) }}
                or not {{ previous_run_built('mart_attribution_daily') }}
            )
    {%- else %}
        where is_paid
    {%- endif %}
),

affected as (
    select paid_date from credited
    union
    select paid_date from money_changed
    where paid_date is not null
    union
    select previous_paid_date as paid_date from money_changed
    where previous_paid_date is not null
    union
    select * from {{ recredited_paid_dates() }}
)

select paid_date from affected
