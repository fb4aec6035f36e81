-- A check of fct_attribution_credits in Dagster (a test reading several models needs its asset named).
{{ config(meta={'dagster': {'ref': {'name': 'fct_attribution_credits'}}}) }}
-- For every paid order and every detail window: each model's credits sum to exactly 1, and no
-- (order, window) is missing. A partitioned run checks the payment days it rewrote.
with credits as (
    select
        store,
        order_id,
        window_days,
        {%- for model in attribution_models() %}
            sum({{ model }}_credit) as {{ model }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('fct_attribution_credits') }}
    where {{ in_run_days('paid_date') }}
    group by all
),

expected as (
    select
        orders.store,
        orders.order_id,
        windows.window_days
    from {{ ref('fct_orders') }} as orders
    cross join (select unnest({{ var('attribution_detail_windows') }}) as window_days) as windows
    where orders.is_paid and {{ in_run_days('orders.paid_date') }}
)

select
    expected.*,
    credits.* exclude (store, order_id, window_days)
from expected
left join credits
    on
        expected.store = credits.store
        and expected.order_id = credits.order_id
        and expected.window_days = credits.window_days
where
    {%- for model in attribution_models() %}
        credits.{{ model }} is distinct from 1{{ " or" if not loop.last }}
    {%- endfor %}
