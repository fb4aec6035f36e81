-- A check of mart_aipl_daily in Dagster (a test reading several models needs its asset named).
{{ config(meta={'dagster': {'ref': {'name': 'mart_aipl_daily'}}}) }}
-- AIPL stock and flow must agree: a state's count changes from one day to the next by the
-- consumers who flowed in minus those who flowed out.
with counts as (
    select
        date_day,
        category,
        state,
        consumers - coalesce(lag(consumers) over (partition by category, state order by date_day), 0) as day_change
    from {{ ref('mart_aipl_daily') }}
),

flows as (
    select
        date_day,
        category,
        to_state as state,
        consumers as moved
    from {{ ref('mart_aipl_flows_daily') }}
    union all
    select
        date_day,
        category,
        from_state as state,
        -consumers as moved
    from {{ ref('mart_aipl_flows_daily') }}
    where from_state <> 'none'
),

net_flows as (
    select
        date_day,
        category,
        state,
        sum(moved) as net
    from flows
    group by all
)

select
    counts.*,
    net_flows.net
from counts
left join net_flows
    on
        counts.date_day = net_flows.date_day
        and counts.category = net_flows.category
        and counts.state = net_flows.state
where counts.day_change <> coalesce(net_flows.net, 0)
