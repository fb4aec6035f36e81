{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_attributed_orders() }}",
    post_hook="{{ record_model_run() }}"
) }}
-- depends_on: {{ ref('int_attribution__recredited_orders') }}
-- Each paid order's credit per channel under every model, default window: the touches of
-- fct_attribution_credits summed per order and channel (a few rows per order instead of one
-- per touch), for the marketing spend allocation. Incremental by order like the credits it
-- sums: a partitioned run re-sums the orders it rewrote there.
select
    store,
    order_id,
    paid_date,
    channel,
{%- for model in attribution_models() %}
    sum({{ model }}_credit) as {{ model }}_credit{{ "," if not loop.last }}
{%- endfor %}
from {{ ref('fct_attribution_credits') }}
where is_default_window and {{ in_attributed_orders() }}
group by store, order_id, paid_date, channel
