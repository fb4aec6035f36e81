{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='click_id') }}
-- Every jump-link click id the data bank saw clicked (点击): the platform it was clicked on and
-- the oneids that clicked it (the smallest and the largest: two different ones make the id
-- ambiguous). Incremental by click id: a partitioned run folds its window's clicks into the
-- stored rows of the same ids, so a night reads one day of touchpoints, not all of them.
with clicks as (
    select
        click_id,
        platform,
        oneid,
        ts_date
    from {{ ref('stg_databank__touchpoints') }}
    where event_stage = 'click' and click_id is not null and {{ in_partition_of_time('ts_date', 'ts') }}
),

candidates as (
    select
        click_id,
        platform,
        oneid as smallest_oneid,
        oneid as largest_oneid,
        ts_date as first_clicked_on
    from clicks
    {{ stored_rows_of_window_keys(
        'clicks', 'click_id', ['click_id', 'platform', 'smallest_oneid', 'largest_oneid', 'first_clicked_on']
    ) }}
),

final as (
    select
        click_id,
        min(platform) as platform,
        min(smallest_oneid) as smallest_oneid,
        max(largest_oneid) as largest_oneid,
        min(first_clicked_on) as first_clicked_on
    from candidates
    group by click_id
)

select * from final
