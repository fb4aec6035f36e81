{{ config(materialized='table') }}
-- depends_on: {{ ref('int_sales__changed_orders') }}
{%- set window = run_window() %}
{%- if window is not none %}{% do require_changed_orders('compares the orders int_sales__changed_orders lists') %}{% endif %}
-- The orders a partitioned run credits anew wherever their payment day lies: those whose
-- conversion path changed although no touch of the run's days reaches it - a new buyer link
-- (a click of the night names the buyer of older orders) puts them with another person, or
-- their payment time or state changed (int_sales__changed_orders, against the rebuilt
-- fct_orders). Every order once when the dbt run before this one did not build
-- int_attribution__order_channel_credits, the last model that credits by order: a run killed
-- or failed half-way left changes its previous values no longer show. None on a full build,
-- which credits every order.
{%- if window is not none %}
    with changed as (
        select * from {{ ref('int_sales__changed_orders') }}
    ),

    orders as (
        select * from {{ ref('fct_orders') }}
    ),

    moved as (
        select
            changed.store,
            changed.order_id,
            case when orders.is_paid then orders.paid_date end as paid_date,
            changed.previous_paid_date
        from changed
        left join orders on changed.store = orders.store and changed.order_id = orders.order_id
        where
            orders.person_key is distinct from changed.previous_person_key
            or orders.paid_at is distinct from changed.previous_paid_at
            or orders.is_paid is distinct from changed.previous_is_paid
    ),

    unrecorded as (
        select
            store,
            order_id,
            case when is_paid then paid_date end as paid_date,
            cast(null as date) as previous_paid_date
        from orders
        where not {{ previous_run_built('int_attribution__order_channel_credits') }}
    ),

    final as (
        select * from moved
        union all
        select * from unrecorded
        where (store, order_id) not in (
            select
                moved.store,
                moved.order_id
            from moved
        )
    )
{%- else %}
    with final as (
        select
            store,
            order_id,
            paid_date,
            paid_date as previous_paid_date
        from {{ ref('fct_orders') }}
        where false
    )
{%- endif %}

select * from final
