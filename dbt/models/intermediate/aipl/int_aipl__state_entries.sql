{{ config(
    materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='person_key',
    pre_hook="{{ delete_people_rebuilt(aipl=true) }}"
) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}, {{ ref('int_funnel__person_first_touches') }}, {{ ref('fct_orders') }}
-- Incremental by person: a partitioned run rebuilds the people people_rebuilt lists.
-- When each consumer entered each AIPL state, brand-wide ('all') and per product category,
-- with the channel that moved them. States are cumulative: a consumer stays in the highest
-- state reached (A aware < I interest < P purchase < L loyal).
with firsts as (
    select * from {{ ref('int_funnel__person_first_touches') }}
    where {{ in_aipl_people_rebuilt('person_key') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where person_key is not null and is_conversion and {{ in_aipl_people_rebuilt('person_key') }}
),

-- Every category bought by anyone, so that everyone has a row per scope.
categories as (
    select 'all' as category
    union
    select distinct category from {{ ref('fct_orders') }}
    where person_key is not null and is_conversion
),

awareness as (
    select
        person_key,
        first_touch_date as aware_date,
        first_touch_channel as aware_channel
    from firsts
),

interest as (
    select
        person_key,
        first_interest_date as interest_date,
        first_interest_channel as interest_channel
    from firsts
    where first_interest_at is not null
),

-- Purchases per category and brand-wide; loyalty = a repurchase within the window, counted
-- within the same scope (a second 美妆 order makes a consumer loyal in 美妆).
scoped_orders as (
    select
        person_key,
        category,
        paid_at,
        paid_date,
        order_id,
        store,
        order_channel
    from orders
    union all
    select
        person_key,
        'all' as category,
        paid_at,
        paid_date,
        order_id,
        store,
        order_channel
    from orders
),

sequenced as (
    select
        *,
        row_number() over (partition by person_key, category order by paid_at, store, order_id) as scope_sequence,
        lag(paid_date) over (partition by person_key, category order by paid_at, store, order_id)
            as previous_paid_date
    from scoped_orders
),

purchase as (
    select
        person_key,
        category,
        min(paid_date) filter (where scope_sequence = 1) as purchase_date,
        any_value(order_channel) filter (where scope_sequence = 1) as purchase_channel,
        min(paid_date) filter (
            where scope_sequence > 1
            and {{ days_between('previous_paid_date', 'paid_date') }} <= {{ var('repurchase_window_days') }}
        ) as loyal_date,
        min_by(order_channel, scope_sequence) filter (
            where scope_sequence > 1
            and {{ days_between('previous_paid_date', 'paid_date') }} <= {{ var('repurchase_window_days') }}
        ) as loyal_channel
    from sequenced
    group by person_key, category
),

people as (
    select person_key from awareness
    union
    select person_key from orders
),

final as (
    select
        people.person_key,
        categories.category,
        awareness.aware_date,
        awareness.aware_channel,
        interest.interest_date,
        interest.interest_channel,
        purchase.purchase_date,
        purchase.purchase_channel,
        purchase.loyal_date,
        purchase.loyal_channel
    from people
    cross join categories
    left join awareness on people.person_key = awareness.person_key
    left join interest on people.person_key = interest.person_key
    left join purchase on people.person_key = purchase.person_key and categories.category = purchase.category
)

select * from final
