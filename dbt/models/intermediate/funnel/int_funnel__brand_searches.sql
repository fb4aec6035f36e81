{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='event_date') }}
-- Identified consumers' brand searches on Taobao (回搜), the rare stage mart_search_lift counts:
-- kept apart so the mart reads half a million rows, not the whole event history, and a
-- partitioned run adds its window's days only.
select
    person_key,
    event_at,
    event_date
from {{ ref('fct_touchpoints') }}
where person_key is not null and event_stage = 'search' and {{ in_partition('event_date') }}
