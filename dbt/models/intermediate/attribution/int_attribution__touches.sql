{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='event_date') }}
-- Attributable touches with their element (macros/attribution.sql): one sortable integer that
-- carries time, channel, cell and key. Kept narrow and in time order (the order the days were
-- loaded), so the range join reads few columns and a night's lookback skips older row groups.
with touchable as (
    select * from {{ ref('int_attribution__touchable') }}
    where {{ in_partition('event_date') }}
),

channels as (
    select * from {{ ref('attribution_channels') }}
),

cells as (
    select * from {{ ref('int_attribution__cells') }}
),

-- Only what the range join and the non-converting paths read: time, channel, cell and key
-- are all in the element, and every stored column costs its write on ~50 M rows (the four
-- the element repeats took ~2.5 s of this model's 8 s on the large world).
final as (
    select
        touchable.person_id,
        touchable.event_date,
        {{ touch_element('touchable.event_at', 'channels.channel_index', 'cells.cell_id', 'touchable.touchpoint_key') }}
            as touch_element
    from touchable
    left join channels on touchable.channel = channels.channel
    left join cells
        on {{ hash64('touchable.channel', 'touchable.campaign_id', 'touchable.note_id', 'touchable.creator_id') }} = cells.cell_key
)

select * from final
