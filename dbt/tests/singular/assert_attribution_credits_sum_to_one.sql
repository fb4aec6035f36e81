-- For every paid order, window and model: credits sum to exactly 1 and attributed money to the
-- order's money to the cent, and no (order, window, model) is missing.
with credits as (
    select
        store,
        order_id,
        window_days,
        attribution_model,
        sum(credit) as credit,
        sum(attributed_gmv) as gmv,
        sum(attributed_paid_amount) as paid_amount,
        sum(attributed_net_revenue) as net_revenue
    from {{ ref('fct_attribution_credits') }}
    group by all
),

expected as (
    select
        orders.store,
        orders.order_id,
        windows.window_days,
        models.attribution_model,
        orders.gmv,
        orders.paid_amount,
        orders.net_revenue
    from {{ ref('fct_orders') }} as orders
    cross join (select distinct window_days from credits) as windows
    cross join (select distinct attribution_model from credits) as models
    where orders.is_paid
)

select
    expected.*,
    credits.credit
from expected
left join credits
    on
        expected.store = credits.store
        and expected.order_id = credits.order_id
        and expected.window_days = credits.window_days
        and expected.attribution_model = credits.attribution_model
where
    credits.credit is distinct from 1
    or credits.gmv <> expected.gmv
    or credits.paid_amount <> expected.paid_amount
    or credits.net_revenue <> expected.net_revenue
