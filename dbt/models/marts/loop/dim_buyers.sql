{{ config(
    materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='person_key',
    pre_hook="{{ delete_people_rebuilt() }}"
) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}
-- One row per identified buyer: the seeding → decision → repurchase loop of one consumer.
-- Incremental by person: a partitioned run rebuilds the people people_rebuilt lists (the
-- pre-hook deletes them first: someone whose orders now belong to another has no row left).
with orders as (
    select * from {{ ref('fct_orders') }}
    where person_key is not null and is_conversion and {{ in_people_rebuilt('person_key') }}
),

firsts as (
    select * from {{ ref('int_funnel__person_first_touches') }}
    where {{ in_people_rebuilt('person_key') }}
),

ranked as (
    select
        *,
        row_number() over (partition by person_key order by paid_at, store, order_id) as purchase_number
    from orders
),

purchases as (
    select
        person_key,
        min(paid_at) filter (where purchase_number = 1) as first_purchase_at,
        any_value(store) filter (where purchase_number = 1) as first_purchase_store,
        any_value(order_id) filter (where purchase_number = 1) as first_purchase_order_id,
        any_value(category) filter (where purchase_number = 1) as first_purchase_category,
        any_value(order_channel) filter (where purchase_number = 1) as acquisition_platform,
        min(paid_at) filter (where purchase_number = 2) as second_purchase_at,
        count(*) as purchases,
        sum(net_revenue) as net_revenue
    from ranked
    group by person_key
),

-- Only touches up to the first payment can have seeded the decision: the first touch before
-- it is the person's first touch when that came before it, and none otherwise.
first_touches as (
    select
        purchases.person_key,
        firsts.first_touch_at,
        firsts.first_touch_channel as first_touch_platform
    from purchases
    inner join firsts
        on
            purchases.person_key = firsts.person_key
            and purchases.first_purchase_at >= firsts.first_touch_at
),

final as (
    select
        purchases.person_key,
        first_touches.first_touch_at,
        first_touches.first_touch_platform,
        purchases.first_purchase_at,
        cast(purchases.first_purchase_at as date) as first_purchase_date,
        purchases.first_purchase_store,
        purchases.first_purchase_order_id,
        purchases.first_purchase_category,
        purchases.acquisition_platform,
        cast(date_trunc('week', purchases.first_purchase_at) as date) as cohort_week,
        cast(date_trunc('month', purchases.first_purchase_at) as date) as cohort_month,
        cast(
            round({{ seconds_between('first_touches.first_touch_at', 'purchases.first_purchase_at') }} / 86400.0, 4)
            as decimal(12, 4)
        ) as days_first_touch_to_purchase,
        purchases.second_purchase_at,
        cast(
            round({{ seconds_between('purchases.first_purchase_at', 'purchases.second_purchase_at') }} / 86400.0, 4)
            as decimal(12, 4)
        ) as days_to_second_purchase,
        coalesce(
            {{ days_between('cast(purchases.first_purchase_at as date)', 'cast(purchases.second_purchase_at as date)') }}
            <= {{ var('repurchase_window_days') }},
            false
        ) as is_repurchaser,
        cast(purchases.purchases as bigint) as purchases,
        cast(purchases.net_revenue as decimal(18, 2)) as net_revenue
    from purchases
    left join first_touches on purchases.person_key = first_touches.person_key
)

select * from final
