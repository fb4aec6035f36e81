{{ config(materialized='table') }}
-- Conversion paths: for every paid order of an identified buyer and every lookback window,
-- the buyer's seeding touches in [paid_at - window, paid_at] (both ends included; touches
-- after the payment never count), numbered in time order. Orders without a touch in the
-- window get no rows here; the credit models give them to `direct_or_organic`.
with orders as (
    select * from {{ ref('fct_orders') }}
    where is_paid and person_key is not null
),

touches as (
    select * from {{ ref('int_attribution__touches') }}
),

windows as (
    {%- for days in var('attribution_windows') %}
        select {{ days }} as window_days{{ " union all" if not loop.last }}
    {%- endfor %}
),

in_window as (
    select
        orders.store,
        orders.order_id,
        windows.window_days,
        touches.touchpoint_key,
        touches.channel,
        touches.event_stage,
        touches.campaign_id,
        touches.note_id,
        touches.creator_id,
        touches.event_at,
        orders.paid_at,
        date_diff('second', touches.event_at, orders.paid_at) / 86400.0 as days_before_payment
    from orders
    cross join windows
    inner join touches
        on
            orders.person_key = touches.person_key
            and orders.paid_at >= touches.event_at
            and touches.event_at >= orders.paid_at - to_days(windows.window_days)
),

final as (
    select
        *,
        row_number() over (
            partition by store, order_id, window_days order by event_at, touchpoint_key
        ) as touch_number,
        count(*) over (partition by store, order_id, window_days) as touch_count
    from in_window
)

select * from final
