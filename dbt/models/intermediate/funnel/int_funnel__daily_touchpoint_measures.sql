{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='date_day') }}
-- Our own events summed per day × channel × campaign × note × creator: the funnel's biggest
-- input, read once. Incremental by day: a partitioned run re-sums its window's days only.
with touchpoints as (
    select * from {{ ref('fct_touchpoints') }}
    where {{ in_partition('event_date') }}
),

final as (
    select
        event_date as date_day,
        channel as platform,
        campaign_id,
        note_id,
        creator_id,
        count(*) filter (where event_stage = 'impression') as impressions,
        count(*) filter (where event_stage = 'engagement') as engagements,
        count(*) filter (where event_stage = 'click') as clicks,
        count(*) filter (where event_stage = 'store_visit') as store_visits,
        count(distinct person_key) filter (where event_stage = 'store_visit') as store_visitors,
        count(*) filter (where event_stage = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_stage = 'search') as brand_searches
    from touchpoints
    group by all
)

select * from final
