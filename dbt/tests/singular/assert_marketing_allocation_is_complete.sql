-- A check of fct_order_lines in Dagster (a test reading several models needs its asset named).
{{ config(meta={'dagster': {'ref': {'name': 'fct_order_lines'}}}) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}, {{ ref('fct_orders') }}, {{ ref('int_attribution__recredited_orders') }}
-- The P&L carries every yuan of spend of each channel-month that has attributed revenue under
-- the default model and window, no more and no less. A partitioned run checks the months whose
-- allocation it redid (marketing_months_rebuilt); the others kept the rows already checked.
{%- set scoped = run_window() is not none %}
{%- set months = "month_start in (select redone.month_start from redone)" if scoped else "true" %}
with
{%- if scoped %}
    redone as {{ marketing_months_rebuilt() }},
{%- endif %}

spend as (
    select * from {{ ref('int_marketing__monthly_spend') }}
    where {{ months }}
),

allocatable as (
    select sum(spend.spend) as spend
    from spend
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
    select sum(order_lines.marketing_cost) as spend
    from (
        select
            marketing_cost,
            cast(date_trunc('month', paid_date) as date) as month_start
        from {{ ref('fct_order_lines') }}
    ) as order_lines
    where {{ months }}
)

select
    allocatable.spend as allocatable,
    allocated.spend as allocated
from allocatable, allocated
where allocatable.spend is distinct from allocated.spend
