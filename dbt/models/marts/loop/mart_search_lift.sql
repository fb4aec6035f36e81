-- 回搜: do consumers search for the brand on Taobao more after a platform first exposed them?
-- Each consumer is compared with themselves: brand searches in the window before their first
-- exposure on a platform against the same window after it.
with searches as (
    select
        person_key,
        event_at
    from {{ ref('int_funnel__brand_searches') }}
),

first_exposures as (
    select * from {{ ref('int_funnel__first_exposures') }}
),

data_bounds as (
    select
        min(event_at) as data_from,
        max(event_at) as data_through
    from {{ ref('fct_touchpoints') }}
    where person_key is not null
),

exposures_per_day as (
    select
        platform,
        cast(exposed_at as date) as exposure_date,
        count(*) as exposed_consumers,
        min(exposed_at) as first_exposed_at,
        max(exposed_at) as last_exposed_at
    from first_exposures
    group by all
),

-- Only the exposures of consumers who ever searched the brand meet their searches (4 in 10 on
-- the large world); the others searched neither before nor after. Counting per day apart from
-- the searchers spares a group-by of every exposure.
searched as (
    select
        exposures.platform,
        exposures.exposed_at,
        bool_or(
            searches.event_at < exposures.exposed_at
            and searches.event_at >= exposures.exposed_at - interval {{ var('search_lift_window_days') }} day
        ) as searched_before,
        bool_or(
            searches.event_at > exposures.exposed_at
            and searches.event_at <= exposures.exposed_at + interval {{ var('search_lift_window_days') }} day
        ) as searched_after
    from first_exposures as exposures
    inner join searches on exposures.person_key = searches.person_key
    group by exposures.person_key, exposures.platform, exposures.exposed_at
),

searchers_per_day as (
    select
        platform,
        cast(exposed_at as date) as exposure_date,
        count(*) filter (where searched_before) as searchers_before,
        count(*) filter (where searched_after) as searchers_after
    from searched
    group by all
),

per_day as (
    select
        exposures.platform,
        exposures.exposure_date,
        exposures.exposed_consumers,
        exposures.first_exposed_at,
        exposures.last_exposed_at,
        coalesce(searchers.searchers_before, 0) as searchers_before,
        coalesce(searchers.searchers_after, 0) as searchers_after
    from exposures_per_day as exposures
    left join searchers_per_day as searchers
        on exposures.platform = searchers.platform and exposures.exposure_date = searchers.exposure_date
),

final as (
    select
        per_day.platform,
        per_day.exposure_date,
        {{ var('search_lift_window_days') }} as window_days,
        per_day.exposed_consumers,
        per_day.searchers_before,
        per_day.searchers_after,
        {{ safe_ratio("per_day.searchers_before", "per_day.exposed_consumers") }} as search_rate_before,
        {{ safe_ratio("per_day.searchers_after", "per_day.exposed_consumers") }} as search_rate_after,
        {{ safe_ratio("per_day.searchers_after - per_day.searchers_before", "per_day.exposed_consumers") }}
            as search_lift,
        per_day.first_exposed_at - interval {{ var('search_lift_window_days') }} day >= data_bounds.data_from
        and per_day.last_exposed_at + interval {{ var('search_lift_window_days') }} day
        <= data_bounds.data_through as is_complete
    from per_day
    cross join data_bounds
)

select * from final
