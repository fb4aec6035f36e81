-- Consumers per AIPL state at the end of each day: each state change adds one to the new
-- state and takes one from the old, and a running sum over the days gives the counts.
with transitions as (
    select * from {{ ref('int_aipl__transitions') }}
),

bounds as (
    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from transitions
),

calendar as (
    select cast(spine.day_start as date) as date_day
    from bounds
    {{ day_series('bounds.first_day', 'bounds.last_day', 'spine', 'day_start') }}
),

scopes as (
    select distinct category from transitions
),

states as (
    select
        'A' as state,
        1 as state_order
    union all
    select
        'I' as state,
        2 as state_order
    union all
    select
        'P' as state,
        3 as state_order
    union all
    select
        'L' as state,
        4 as state_order
),

changes as (
    select
        date_day,
        category,
        to_state as state,
        count(*) as state_change
    from transitions
    group by all
    union all
    select
        date_day,
        category,
        from_state as state,
        -count(*) as state_change
    from transitions
    where from_state <> 'none'
    group by all
),

daily_changes as (
    select
        date_day,
        category,
        state,
        sum(state_change) as net_change
    from changes
    group by all
),

grid as (
    select
        calendar.date_day,
        scopes.category,
        states.state,
        states.state_order
    from calendar cross join scopes cross join states
),

final as (
    select
        grid.date_day,
        '{{ var("brand_name") }}' as brand,
        grid.category,
        grid.state,
        grid.state_order,
        cast(coalesce(daily_changes.net_change, 0) as bigint) as net_change,
        cast(sum(coalesce(daily_changes.net_change, 0)) over (
            partition by grid.category, grid.state order by grid.date_day
            rows between unbounded preceding and current row
        ) as bigint) as consumers
    from grid
    left join daily_changes
        on
            grid.date_day = daily_changes.date_day
            and grid.category = daily_changes.category
            and grid.state = daily_changes.state
)

select * from final
