{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='click_id') }}
-- The first click of every jump-link click id (a link clicked twice keeps its first click, ties
-- at the same second to the smaller touchpoint hash): the seeding platform, campaign, note and
-- creator an order carrying that id came from. Incremental by click id: a partitioned run folds
-- its window's clicks into the stored firsts, so a night reads one day of touchpoints.
with clicks as (
    select
        click_id,
        event_at,
        channel,
        campaign_id,
        note_id,
        creator_id,
        {{ hash64('touchpoint_key') }} as tiebreak
    from {{ ref('fct_touchpoints') }}
    where event_stage = 'click' and click_id is not null and {{ in_partition('event_date') }}
),

candidates as (
    select * from clicks
    {{ stored_rows_of_window_keys(
        'clicks', 'click_id', ['click_id', 'event_at', 'channel', 'campaign_id', 'note_id', 'creator_id', 'tiebreak']
    ) }}
),

final as (
    select
        click_id,
        min(event_at) as event_at,
        min_by(channel, {{ time_order_key('event_at', 'tiebreak') }}) as channel,
        min_by(campaign_id, {{ time_order_key('event_at', 'tiebreak') }}) as campaign_id,
        min_by(note_id, {{ time_order_key('event_at', 'tiebreak') }}) as note_id,
        min_by(creator_id, {{ time_order_key('event_at', 'tiebreak') }}) as creator_id,
        min_by(tiebreak, {{ time_order_key('event_at', 'tiebreak') }}) as tiebreak
    from candidates
    group by click_id
)

select * from final
