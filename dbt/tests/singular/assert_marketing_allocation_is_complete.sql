-- A check of fct_order_lines in Dagster (a test reading several models needs its asset named).
{{ config(meta={'dagster': {'ref': {'name': 'fct_order_lines'}}}) }}
-- The P&L carries every yuan of spend of each channel-month that has attributed revenue under
-- the default model and window, no more and no less.
with allocatable as (
    select sum(spend.spend) as spend
    from (
        select * from {{ ref('int_marketing__monthly_spend') }}
    ) as spend
    where exists (
        select 1
        from {{ ref('fct_attribution_credits') }} as credits
        where
            credits.{{ var("attribution_default_model") }}_credit > 0
            and credits.is_default_window
            and credits.channel = spend.channel
            and cast(date_trunc('month', credits.paid_date) as date) = spend.month_start
    )
),

allocated as (
    select sum(marketing_cost) as spend from {{ ref('fct_order_lines') }}
)

select
    allocatable.spend as allocatable,
    allocated.spend as allocated
from allocatable, allocated
where allocatable.spend is distinct from allocated.spend
