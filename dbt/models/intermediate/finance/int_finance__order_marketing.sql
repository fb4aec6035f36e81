{{ config(
    materialized='incremental', incremental_strategy=by_key_strategy(), unique_key='month_start', on_schema_change='fail'
) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}, {{ ref('int_attribution__recredited_orders') }}
-- Stored, not a view: its one consumer and its tests would each recompute it. Incremental by
-- month: a month's spend is shared among all its orders, so a partitioned run redoes whole
-- months, those marketing_months_rebuilt lists.
-- Marketing spend allocated to orders through attribution (dbt vars attribution_default_model,
-- default window): each channel's spend in a month goes to the orders credited to that channel
-- in that month, in proportion to their attributed net revenue, to the cent (largest
-- remainders: the allocate macro). Spend of a channel-month without attributed revenue
-- cannot be allocated and stays visible in mart_channel_profit.
with orders as (
    select * from {{ ref('fct_orders') }}
    where is_paid
),

credits as (
    select
        credits.store,
        credits.order_id,
        credits.channel,
        cast(date_trunc('month', credits.paid_date) as date) as month_start,
        credits.{{ var("attribution_default_model") }}_credit * orders.net_revenue as attributed_net_revenue
    from {{ ref('int_attribution__order_channel_credits') }} as credits
    inner join orders on credits.store = orders.store and credits.order_id = orders.order_id
    where {{ in_marketing_months_rebuilt("cast(date_trunc('month', credits.paid_date) as date)") }}
),

spend as (
    select * from {{ ref('int_marketing__monthly_spend') }}
),

weighted as (
    select
        credits.*,
        spend.spend,
        {{ share(
            'credits.attributed_net_revenue',
            'sum(credits.attributed_net_revenue) over (partition by credits.month_start, credits.channel)'
        ) }} as spend_share
    from credits
    inner join spend on credits.month_start = spend.month_start and credits.channel = spend.channel
),

allocated as (
    select
        store,
        order_id,
        month_start,
        {{ allocate('spend', 'spend_share', 'month_start, channel', 'store, order_id') }} as marketing_cost
    from weighted
    where spend_share is not null
)

select
    store,
    order_id,
    month_start,
    cast(sum(marketing_cost) as decimal(18, 2)) as marketing_cost
from allocated
group by all
