{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='person_key') }}
-- Each identified person's first touch and first interest touch (AIPL's A and I, and where a
-- buyer's journey began). Incremental: a partitioned run folds its window's touches into the
-- stored firsts of the people it saw, so a night reads one day of touchpoints, not all of them.
-- Ties at the same second go to the smaller touchpoint hash, as everywhere else.
with touches as (
    select
        person_key,
        event_at,
        channel,
        {{ hash64('touchpoint_key') }} as tiebreak,
        event_stage in ('engagement', 'click', 'search', 'store_visit', 'add_to_cart') as is_interest
    from {{ ref('fct_touchpoints') }}
    where person_key is not null and {{ in_partition('event_date') }}
),

candidates as (
    select * from touches
    {%- if is_partitioned_run() %}
        union all
        select
            known_firsts.person_key,
            known_firsts.first_touch_at as event_at,
            known_firsts.first_touch_channel as channel,
            known_firsts.first_touch_tiebreak as tiebreak,
            false as is_interest
        from {{ this }} as known_firsts
        where known_firsts.person_key in (select window_touches.person_key from touches as window_touches)
        union all
        select
            known_firsts.person_key,
            known_firsts.first_interest_at as event_at,
            known_firsts.first_interest_channel as channel,
            known_firsts.first_interest_tiebreak as tiebreak,
            true as is_interest
        from {{ this }} as known_firsts
        where
            known_firsts.first_interest_at is not null
            and known_firsts.person_key in (select window_touches.person_key from touches as window_touches)
    {%- endif %}
),

final as (
    select
        person_key,
        min(event_at) as first_touch_at,
        cast(min(event_at) as date) as first_touch_date,
        min_by(channel, {{ time_order_key('event_at', 'tiebreak') }}) as first_touch_channel,
        min_by(tiebreak, {{ time_order_key('event_at', 'tiebreak') }}) as first_touch_tiebreak,
        min(event_at) filter (where is_interest) as first_interest_at,
        cast(min(event_at) filter (where is_interest) as date) as first_interest_date,
        min_by(channel, {{ time_order_key('event_at', 'tiebreak') }}) filter (where is_interest) as first_interest_channel,
        min_by(tiebreak, {{ time_order_key('event_at', 'tiebreak') }}) filter (where is_interest) as first_interest_tiebreak
    from candidates
    group by person_key
)

select * from final
