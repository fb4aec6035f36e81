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

per_person as (
    select
        exposures.person_key,
        exposures.platform,
        exposures.exposed_at,
        count(searches.event_at) filter (
            where searches.event_at < exposures.exposed_at
            and searches.event_at >= exposures.exposed_at - interval {{ var('search_lift_window_days') }} day
        ) as searches_before,
        count(searches.event_at) filter (
            where searches.event_at > exposures.exposed_at
            and searches.event_at <= exposures.exposed_at + interval {{ var('search_lift_window_days') }} day
        ) as searches_after
    from first_exposures as exposures
    left join searches on exposures.person_key = searches.person_key
    group by all
),

final as (
    select
        per_person.platform,
        cast(per_person.exposed_at as date) as exposure_date,
        {{ var('search_lift_window_days') }} as window_days,
        count(*) as exposed_consumers,
        count(*) filter (where per_person.searches_before > 0) as searchers_before,
        count(*) filter (where per_person.searches_after > 0) as searchers_after,
        {{ safe_ratio("count(*) filter (where per_person.searches_before > 0)", "count(*)") }}
            as search_rate_before,
        {{ safe_ratio("count(*) filter (where per_person.searches_after > 0)", "count(*)") }}
            as search_rate_after,
        {{ safe_ratio(
            "count(*) filter (where per_person.searches_after > 0)"
            ~ " - count(*) filter (where per_person.searches_before > 0)",
            "count(*)"
        ) }} as search_lift,
        min(per_person.exposed_at) - interval {{ var('search_lift_window_days') }} day
        >= any_value(data_bounds.data_from)
        and max(per_person.exposed_at) + interval {{ var('search_lift_window_days') }} day
        <= any_value(data_bounds.data_through) as is_complete
    from per_person
    cross join data_bounds
    group by all
)

select * from final
