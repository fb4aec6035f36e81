{#- publish_by_day: a partitioned run rewrites exactly its window's days, so the publication copies only those. -#}
{{ config(
    materialized='incremental',
    incremental_strategy=by_key_strategy(),
    unique_key='event_date',
    meta={'publish_by_day': 'event_date'}
) }}
-- Incremental by event day: a partitioned run rebuilds the days of its window only.
with touches as (
    select * from {{ ref('stg_databank__touchpoints') }}
    where {{ in_partition_of_time('ts_date', 'ts') }}
),

people as (
    select
        identifier as oneid,
        person_key
    from {{ ref('dim_person_identifiers') }}
    where identifier_type = 'databank_oneid'
),

-- In-store events (进店, 加购) arrive through a jump link: the click with the same click id
-- says which seeding platform brought the consumer.
click_channels as (
    select
        click_id,
        platform as channel
    from {{ ref('int_identity__databank_clicks') }}
    {%- if is_partitioned_run() %}
        -- the clicks behind the window's store events, whenever they happened
        where click_id in (select window_touches.click_id from touches as window_touches)
    {%- endif %}
),

final as (
    select
        -- 64-bit hash of the loader's grain: a tenth of md5's cost over tens of millions of rows;
        -- the unique test below proves there is no collision.
        {{ hash64('touches.oneid', 'touches.platform', 'touches.event', 'touches.ts', 'touches.campaign_id', 'touches.note_id', 'touches.click_id') }} as touchpoint_key,
        people.person_key,
        touches.oneid,
        touches.platform as event_platform,
        case
            when touches.platform <> 'tmall' then touches.platform
            when touches.event_stage = 'search' then 'tmall_search'
            else coalesce(click_channels.channel, 'tmall')
        end as channel,
        touches.event_stage,
        touches.event as event_cn,
        touches.campaign_id,
        touches.note_id,
        touches.creator_id,
        touches.click_id,
        touches.ts as event_at,
        touches.ts_date as event_date
    from touches
    left join people on touches.oneid = people.oneid
    left join click_channels on touches.click_id = click_channels.click_id
)

select * from final
