-- The touches attribution may credit: seeding events (dbt var attribution_stages) on a
-- seeding platform, of an identified consumer.
select
    person_key,
    {{ hash64('person_key') }} as person_id,
    touchpoint_key,
    channel,
    event_stage,
    campaign_id,
    note_id,
    creator_id,
    event_at,
    event_date
from {{ ref('fct_touchpoints') }}
where
    person_key is not null
    and event_stage in ({{ "'" ~ var('attribution_stages') | join("', '") ~ "'" }})
    and channel not in ('tmall', 'tmall_search')
