{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='oneid') }}
-- Every consumer id (oneid) the data bank has seen, with the first day it was seen.
-- Incremental by oneid: a partitioned run adds its window's new ids (and moves a first day
-- earlier when a late export brings an older one), reading one day of touchpoints.
with seen as (
    select
        oneid,
        min(ts_date) as first_seen_on
    from {{ ref('stg_databank__touchpoints') }}
    where oneid is not null and {{ in_partition_of_time('ts_date', 'ts') }}
    group by oneid
),

final as (
    {%- if is_partitioned_run() %}
        select
            seen.oneid,
            least(seen.first_seen_on, coalesce(known.first_seen_on, seen.first_seen_on)) as first_seen_on
        from seen
        left join {{ this }} as known on seen.oneid = known.oneid
        where known.oneid is null or seen.first_seen_on < known.first_seen_on
    {%- else %}
        select * from seen
    {%- endif %}
)

select * from final
