-- Every P&L line obeys the money definitions of domain.md exactly.
select *
from {{ ref('fct_order_lines') }}
where
    net_revenue <> paid_amount + platform_discount - refund_amount
    or cm1 <> net_revenue - cogs
    or platform_fees <> commission + points
    or cm2 <> cm1 - platform_fees - payment_fee - logistics_cost
    or cm3 <> cm2 - marketing_cost
