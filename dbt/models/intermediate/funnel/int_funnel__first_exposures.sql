{{ config(
    materialized='incremental',
    incremental_strategy=by_key_strategy(),
    unique_key=['person_key', 'platform']
) }}
-- Each identified person's first exposure (曝光) on each seeding platform, the start of the
-- 回搜 comparison in mart_search_lift. Incremental by person and platform: a partitioned run
-- folds its window's impressions into the stored firsts, so a night reads one day of
-- touchpoints.
with impressions as (
    select
        person_key,
        channel as platform,
        event_at
    from {{ ref('fct_touchpoints') }}
    where person_key is not null and event_stage = 'impression' and {{ in_partition('event_date') }}
),

candidates as (
    select * from impressions
    {{ stored_rows_of_window_keys('impressions', 'person_key', ['person_key', 'platform', 'exposed_at as event_at']) }}
),

final as (
    select
        person_key,
        platform,
        min(event_at) as exposed_at
    from candidates
    group by person_key, platform
)

select * from final
