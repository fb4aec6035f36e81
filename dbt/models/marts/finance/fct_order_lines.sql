-- The P&L of every order line, Tmall and the Douyin shop side by side: GMV → paid → net revenue
-- → platform fees, payment fees, logistics, COGS → CM1, CM2, and CM3 after the marketing spend
-- allocated through attribution. Order-level amounts are spread
-- over the lines by their GMV share, to the cent (lines add up to the order exactly).
-- Incremental by order: a partitioned run rebuilds the orders int_sales__changed_orders lists as
-- exported or drifted (a line holds no repurchase numbers) and every paid order of the months
-- whose marketing allocation it redid.
{{ config(
    materialized='incremental',
    incremental_strategy=by_key_strategy(),
    unique_key=['store', 'order_id'],
    meta={'publish_by_run': 'dbt_invocation_id'},
    post_hook="{{ record_model_run() }}"
) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}, {{ ref('int_attribution__recredited_orders') }}
{%- set rebuilt = '(store, order_id) in (select rebuilt.store, rebuilt.order_id from rebuilt)'
    if is_partitioned_run() else 'true' %}
with rebuilt as (
    {{ order_lines_rebuilt() }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where {{ rebuilt }}
),

costs as (
    select * from {{ ref('int_finance__order_costs') }}
    where {{ rebuilt }}
),

marketing as (
    select * from {{ ref('int_finance__order_marketing') }}
    where {{ rebuilt }}
),

products as (
    select * from {{ ref('stg_merchant__products') }}
),

rates as (
    select * from {{ ref('commission_rates') }}
),

order_lines as (
    select * from {{ ref('int_sales__order_lines') }}
    where {{ rebuilt }}
),

-- An order the item report (宝贝报表) does not cover still carries its money: one line for the
-- whole order, SKU unknown, so the P&L never loses an order.
uncovered_orders as (
    select
        'tmall' as store,
        orders.order_id,
        1 as line_number,
        null as sku_id,
        0 as quantity,
        orders.gmv as line_gmv,
        null as line_paid,
        null as line_platform_discount,
        null as line_merchant_discount
    from orders
    where
        orders.store = 'tmall'
        and not exists (
            select 1 from order_lines
            where order_lines.store = 'tmall' and order_lines.order_id = orders.order_id
        )
),

lines as (
    select
        store,
        order_id,
        line_number,
        sku_id,
        quantity,
        line_gmv,
        line_paid,
        line_platform_discount,
        line_merchant_discount
    from order_lines
    union all
    select * from uncovered_orders
),

weighted as (
    select
        lines.*,
        orders.paid_date,
        orders.order_date,
        orders.is_paid,
        orders.order_channel,
        orders.paid_amount as order_paid_amount,
        orders.platform_discount as order_platform_discount,
        orders.merchant_discount as order_merchant_discount,
        orders.refund_amount as order_refund_amount,
        costs.payment_fee as order_payment_fee,
        costs.payment_fee_source,
        costs.logistics_cost as order_logistics_cost,
        costs.logistics_source,
        coalesce(marketing.marketing_cost, 0) as order_marketing_cost,
        coalesce({{ share('lines.line_gmv', 'sum(lines.line_gmv) over (partition by lines.store, lines.order_id)') }}, 0)
            as gmv_share,
        count(*) over (partition by lines.store, lines.order_id) as order_lines
    from lines
    inner join orders on lines.store = orders.store and lines.order_id = orders.order_id
    inner join costs on lines.store = costs.store and lines.order_id = costs.order_id
    left join marketing on lines.store = marketing.store and lines.order_id = marketing.order_id
),

-- Most orders have one line, and allocate's windows are the cost: only larger orders pay them.
lines_alone as (
    select
        *,
        {{ order_line_amounts(alone=true) }}
    from weighted
    where order_lines = 1
),

lines_split as (
    select
        *,
        {{ order_line_amounts(alone=false) }}
    from weighted
    where order_lines > 1
),

allocated as (
    select * from lines_alone
    union all
    select * from lines_split
),

priced as (
    select
        allocated.*,
        coalesce(products.category, 'unknown') as category,
        coalesce(products.unit_cost, 0) * allocated.quantity as cogs,
        coalesce(commission.rate, 0) as commission_rate,
        coalesce(points.rate, 0) as points_rate
    from allocated
    left join products on allocated.sku_id = products.sku_id
    left join rates as commission
        on
            commission.fee_type = 'commission'
            and allocated.store = commission.store
            and products.category = commission.category
    left join rates as points
        on points.fee_type = 'points' and allocated.store = points.store and points.category = '*'
),

final as (
    select
        store,
        order_id,
        line_number,
        sku_id,
        category,
        order_date,
        paid_date,
        is_paid,
        order_channel,
        cast(quantity as bigint) as quantity,
        cast(line_gmv as decimal(18, 2)) as gmv,
        cast(merchant_discount as decimal(18, 2)) as merchant_discount,
        cast(platform_discount as decimal(18, 2)) as platform_discount,
        cast(paid_amount as decimal(18, 2)) as paid_amount,
        cast(refund_amount as decimal(18, 2)) as refund_amount,
        cast(paid_amount + platform_discount - refund_amount as decimal(18, 2)) as net_revenue,
        cast(round((paid_amount - refund_amount) * commission_rate, 2) as decimal(18, 2)) as commission,
        cast(round((paid_amount - refund_amount) * points_rate, 2) as decimal(18, 2)) as points,
        cast(payment_fee as decimal(18, 2)) as payment_fee,
        payment_fee_source,
        cast(logistics_cost as decimal(18, 2)) as logistics_cost,
        logistics_source,
        cast(cogs as decimal(18, 2)) as cogs,
        cast(marketing_cost as decimal(18, 2)) as marketing_cost
    from priced
),

margins as (
    select
        *,
        cast(net_revenue - cogs as decimal(18, 2)) as cm1,
        cast(commission + points as decimal(18, 2)) as platform_fees,
        cast(net_revenue - cogs - commission - points - payment_fee - logistics_cost as decimal(18, 2)) as cm2,
        cast(net_revenue - cogs - commission - points - payment_fee - logistics_cost - marketing_cost as decimal(18, 2))
            as cm3,
        {{ dbt_invocation_id() }} as dbt_invocation_id
    from final
)

select * from margins
