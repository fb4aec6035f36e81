{{ config(materialized='table') }}
-- Every day a consumer's AIPL state changed, per scope (brand-wide 'all' or a category): the
-- state at the end of the previous day, the state at the end of that day and the channel of
-- the event that moved them. Same-day jumps collapse (exposed and engaged on one day: none → I).
with entries as (
    select * from {{ ref('int_aipl__state_entries') }}
),

unpivoted as (
    select
        person_key,
        category,
        'A' as state,
        1 as state_rank,
        aware_date as entered_on,
        aware_channel as channel
    from entries
    where aware_date is not null
    union all
    select
        person_key,
        category,
        'I' as state,
        2 as state_rank,
        interest_date as entered_on,
        interest_channel as channel
    from entries
    where interest_date is not null
    union all
    select
        person_key,
        category,
        'P' as state,
        3 as state_rank,
        purchase_date as entered_on,
        purchase_channel as channel
    from entries
    where purchase_date is not null
    union all
    select
        person_key,
        category,
        'L' as state,
        4 as state_rank,
        loyal_date as entered_on,
        loyal_channel as channel
    from entries
    where loyal_date is not null
),

change_days as (
    select distinct
        person_key,
        category,
        entered_on as date_day
    from unpivoted
),

states_around as (
    select
        change_days.person_key,
        change_days.category,
        change_days.date_day,
        coalesce(max(states.state_rank) filter (where states.entered_on < change_days.date_day), 0) as from_rank,
        max(states.state_rank) as to_rank,
        max_by(states.channel, states.state_rank) as channel
    from change_days
    inner join unpivoted as states
        on
            change_days.person_key = states.person_key
            and change_days.category = states.category
            and change_days.date_day >= states.entered_on
    group by all
),

final as (
    select
        person_key,
        category,
        date_day,
        case from_rank when 0 then 'none' when 1 then 'A' when 2 then 'I' when 3 then 'P' end as from_state,
        case to_rank when 1 then 'A' when 2 then 'I' when 3 then 'P' when 4 then 'L' end as to_state,
        channel
    from states_around
    where to_rank > from_rank
)

select * from final
