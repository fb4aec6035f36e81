{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='person_id') }}
{%- set longest = longest_attribution_window() %}
-- The other half of what the data-driven models learn from: consumers with attributable
-- touches and no paid order, and their touches in each window before their last touch
-- (grain - person_id × window_days). A partitioned run recomputes the people touched or
-- converted in the partition; people who have converted keep a row with is_converted, so
-- a stored path of theirs is replaced, never left behind.
with touches as (
    -- From the longest window before the partition on, with no end: the last touch of someone
    -- touched in the partition may come later (a corrected export of an earlier day).
    select
        person_id,
        event_date,
        touch_element
    from {{ ref('int_attribution__touches') }}
    where {{ in_partition('event_date', longest, none) }}
),

paid_orders as (
    select
        {{ hash64('person_key') }} as person_id,
        paid_date
    from {{ ref('fct_orders') }}
    where is_paid and person_key is not null
),

-- Read from the table, not from `touches`: a CTE read twice is materialised whole first
-- (48 M touches on the large world, ~1 s of a full build).
batch as (
    {%- if is_partitioned_run() %}
        select person_id from {{ ref('int_attribution__touches') }}
        where {{ in_partition('event_date') }}
        union
        select person_id from paid_orders
        where {{ in_partition('paid_date') }}
    {%- else %}
        select distinct person_id from {{ ref('int_attribution__touches') }}
    {%- endif %}
),

buyers as (
    select distinct person_id from paid_orders
),

people as (
    select
        batch.person_id,
        buyers.person_id is not null as is_converted
    from batch
    left join buyers on batch.person_id = buyers.person_id
),

person_touches as (
    select
        touches.person_id,
        {{ sorted_list_of('touches.touch_element') }} as elements
    from touches
    inner join people on touches.person_id = people.person_id and not people.is_converted
    group by touches.person_id
),

windows as (
    {{ rows_of(var('attribution_windows'), 'window_days') }}
),

sliced as (
    select
        people.person_id,
        people.is_converted,
        windows.window_days,
        {{ list_map(
            list_keep(
                'person_touches.elements', 'element',
                element_epoch('element') ~ ' >= ' ~ element_epoch(list_at('person_touches.elements', -1))
                ~ ' - windows.window_days * 86400'
            ),
            'element', element_channel_index('element')
        ) }} as channel_indexes
    from people
    cross join windows
    left join person_touches on people.person_id = person_touches.person_id
),

final as (
    select
        person_id,
        window_days,
        is_converted,
        cast({{ list_bit_or(list_map('channel_indexes', 'c', shift_left('1', 'c'))) }} as integer) as channel_set_mask,
        {{ collapse_repeats('channel_indexes') }} as channel_path  -- noqa: PRS
    from sliced
)

select * from final
