{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_attributed_orders() }}"
) }}
-- depends_on: {{ ref('int_attribution__recredited_orders') }}
-- Conversion paths: every paid order of an identified buyer × every lookback window in
-- attribution_windows in which the buyer had a touch. The path is the suffix of the order's
-- sorted elements (int_attribution__order_touches) from `first_position` on; everything the
-- credit models need is read off it here, once.
with order_touches as (
    select * from {{ ref('int_attribution__order_touches') }}
    where {{ in_attributed_orders() }}
),

windows as (
    {{ rows_of(var('attribution_windows'), 'window_days') }}
),

sliced as (
    select
        order_touches.store,
        order_touches.order_id,
        order_touches.paid_at,
        order_touches.paid_date,
        windows.window_days,
        {{ list_size('order_touches.touch_elements') }} as longest_touch_count,
        {{ list_keep(
            'order_touches.touch_elements', 'element',
            element_epoch('element') ~ ' >= ' ~ epoch_seconds('order_touches.paid_at') ~ ' - windows.window_days * 86400'
        ) }} as elements
    from order_touches
    cross join windows
),

measured as (
    select
        store,
        order_id,
        paid_at,
        paid_date,
        window_days,
        longest_touch_count - {{ list_size('elements') }} + 1 as first_position,
        {{ list_size('elements') }} as touch_count,
        {{ list_at('elements', 1) }} as first_element,
        {{ list_at('elements', -1) }} as last_element,
        -- Each touch's weight once: summed here, divided by the sum for the head's credits below.
        {{ list_map('elements', 'element', decay_weight(epoch_seconds('paid_at') ~ ' - ' ~ element_epoch('element'))) }}
            as decay_weights,
        {{ list_map('elements', 'element', element_channel_index('element')) }} as channel_indexes,
        elements
    from sliced
    where {{ list_size('elements') }} > 0
),

counted as (
    select
        *,
        {{ list_total('decay_weights', 'double') }} as decay_sum,
        {{ channel_count_columns('channel_indexes', 'touch_count') }}
    from measured
),

final as (
    select
        store,
        order_id,
        paid_at,
        paid_date,
        window_days,
        window_days = {{ var('attribution_default_window') }} as is_default_window,
        first_position,
        touch_count,
        first_element,
        last_element,
        {{ element_touchpoint_key('first_element') }} as first_touchpoint_key,
        {{ element_touchpoint_key('last_element') }} as last_touchpoint_key,
        {{ element_channel_index('last_element') }} as last_channel_index,
        decay_sum,
        -- Σ of the rounded time-decay credits of every touch but the last (the last takes 1 − this),
        -- summed as whole units of 10⁻¹² (the same roundings as credit_decimal, in BIGINT).
        coalesce({{ credit_from_units(list_total(
            list_map(list_head('decay_weights', 'touch_count - 1'), 'weight', credit_units('weight / decay_sum')),
            'bigint'
        )) }}, 0) as decay_head_credit_sum,
        {{ channel_touch_counts() }} as channel_touch_counts,
        cast({{ list_bit_or(list_map('channel_indexes', 'c', shift_left('1', 'c'))) }} as integer) as channel_set_mask,
        -- Consecutive touches of one channel are one step of the Markov chain.
        {{ collapse_repeats('channel_indexes') }} as channel_path  -- noqa: PRS
    from counted
)

select * from final
