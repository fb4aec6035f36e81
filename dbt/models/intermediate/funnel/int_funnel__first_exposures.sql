{{ config(
    materialized='incremental',
    incremental_strategy=by_key_strategy(),
    unique_key=['person_key', 'platform']
) }}
-- Each identified person's first exposure (曝光) on each seeding platform, the start of the
-- 回搜 comparison in mart_search_lift. Incremental by person and platform: a partitioned run
-- reads its window's impressions and writes only the firsts they move earlier or add; most of
-- a night's impressions come after a first already stored, and rewriting those rows unchanged
-- (2 M of 5.4 M on the large world) took most of the model's time.
with impressions as (
    select
        person_key,
        channel as platform,
        event_at
    from {{ ref('fct_touchpoints') }}
    where person_key is not null and event_stage = 'impression' and {{ in_partition('event_date') }}
),

firsts as (
    select
        person_key,
        platform,
        min(event_at) as exposed_at
    from impressions
    group by person_key, platform
),

final as (
    {%- if is_partitioned_run() %}
        select firsts.*
        from firsts
        left join {{ this }} as known on firsts.person_key = known.person_key and firsts.platform = known.platform
        where known.exposed_at is null or firsts.exposed_at < known.exposed_at
    {%- else %}
        select * from firsts
    {%- endif %}
)

select * from final
