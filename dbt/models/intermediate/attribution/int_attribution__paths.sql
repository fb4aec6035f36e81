{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='paid_date') }}
-- Conversion paths: every paid order of an identified buyer × every lookback window in
-- attribution_windows in which the buyer had a touch. The path is the suffix of the order's
-- sorted elements (int_attribution__order_touches) from `first_position` on; everything the
-- credit models need is read off it here, once.
with order_touches as (
    select * from {{ ref('int_attribution__order_touches') }}
    where {{ in_partition('paid_date') }}
),

windows as (
    select unnest({{ var('attribution_windows') }}) as window_days
),

sliced as (
    select
        order_touches.store,
        order_touches.order_id,
        order_touches.paid_at,
        order_touches.paid_date,
        windows.window_days,
        len(order_touches.touch_elements) as longest_touch_count,
        list_filter(
            order_touches.touch_elements,
            lambda element: {{ element_epoch('element') }} >= epoch(order_touches.paid_at) - windows.window_days * 86400
        ) as elements
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
        longest_touch_count - len(elements) + 1 as first_position,
        len(elements) as touch_count,
        elements[1] as first_element,
        elements[-1] as last_element,
        list_sum(
            list_transform(elements, lambda element: {{ decay_weight('epoch(paid_at) - ' ~ element_epoch('element')) }})
        ) as decay_sum,
        list_transform(elements, lambda element: {{ element_channel_index('element') }}) as channel_indexes,
        elements
    from sliced
    where len(elements) > 0
),

-- Touches per channel: 16 bits per channel in two HUGEINTs (channels 1-7 and 8-15), summed in
-- one pass over the path (a map lookup per channel costs ten times more at this size).
counted as (
    select
        *,
        list_sum(list_transform(
            channel_indexes, lambda c: case when c <= 7 then cast(1 as hugeint) << (16 * (c - 1)) else cast(0 as hugeint) end
        )) as packed_low,
        list_sum(list_transform(
            channel_indexes, lambda c: case when c > 7 then cast(1 as hugeint) << (16 * (c - 8)) else cast(0 as hugeint) end
        )) as packed_high
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
        -- Σ of the rounded time-decay credits of every touch but the last (the last takes 1 − this).
        coalesce(list_sum(list_transform(
            list_slice(elements, 1, touch_count - 1),
            lambda element: {{ credit_decimal(decay_weight('epoch(paid_at) - ' ~ element_epoch('element')) ~ ' / decay_sum') }}
        )), 0) as decay_head_credit_sum,
        list_transform(
            range(1, 16),
            lambda i: cast(
                case when i <= 7 then (packed_low >> (16 * (i - 1))) & 65535 else (packed_high >> (16 * (i - 8))) & 65535 end
                as integer
            )
        ) as channel_touch_counts,
        cast(list_aggregate(list_transform(channel_indexes, lambda c: 1 << c), 'bit_or') as integer) as channel_set_mask,
        -- Consecutive touches of one channel are one step of the Markov chain.
        {{ collapse_repeats('channel_indexes') }} as channel_path
    from counted
)

select * from final
