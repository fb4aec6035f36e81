{{ config(
    materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='person_key',
    pre_hook="{{ delete_people_rebuilt(aipl=true) }}"
) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}, {{ ref('int_funnel__person_first_touches') }}, {{ ref('fct_orders') }}
{%- set states = ['aware', 'interest', 'purchase', 'loyal'] %}
-- Every day a consumer's AIPL state changed, per scope (brand-wide 'all' or a category): the
-- state at the end of the previous day, the state at the end of that day and the channel of
-- the event that moved them. Same-day jumps collapse (exposed and engaged on one day: none → I).
-- A consumer has one row of entry dates in int_aipl__state_entries, so the states before and
-- after each entry day are read off that row: no join of a consumer's entries to each other.
-- Incremental by person: a partitioned run rebuilds the people people_rebuilt lists.
with entries as (
    select * from {{ ref('int_aipl__state_entries') }}
    where {{ in_aipl_people_rebuilt('person_key') }}
),

-- Each state entered, with the highest state reached before that day (from_rank) and by the
-- end of it (to_rank): A = 1, I = 2, P = 3, L = 4, none = 0.
entered as (
    {%- for prefix in states %}
        {%- set reached_before, reached_by_end = [], [] %}
        {%- for other in states %}
            {%- do reached_before.append('case when ' ~ other ~ '_date < ' ~ prefix ~ '_date then ' ~ loop.index ~ ' else 0 end') %}
            {%- do reached_by_end.append('case when ' ~ other ~ '_date <= ' ~ prefix ~ '_date then ' ~ loop.index ~ ' else 0 end') %}
        {%- endfor %}
        select
            person_key,
            category,
            {{ loop.index }} as state_rank,
            {{ prefix }}_date as date_day,
            {{ prefix }}_channel as channel,
            greatest({{ reached_before | join(', ') }}) as from_rank,
            greatest({{ reached_by_end | join(', ') }}) as to_rank
        from entries
        where {{ prefix }}_date is not null
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        person_key,
        category,
        date_day,
        case from_rank when 0 then 'none' when 1 then 'A' when 2 then 'I' when 3 then 'P' end as from_state,
        case to_rank when 1 then 'A' when 2 then 'I' when 3 then 'P' when 4 then 'L' end as to_state,
        -- the day's highest state was entered that day (to_rank > from_rank): its channel moved them
        channel
    from entered
    -- one row per day (the highest state entered that day), and only days that moved the state up
    where state_rank = to_rank and to_rank > from_rank
)

select * from final
