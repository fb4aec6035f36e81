{#- publish_by_day: a partitioned run rewrites its window's days and the longest lookback after
    them (in_attributed_paid_dates), and the payment days of the orders it credits anew, which
    it records in meta.rewritten_days; the publication copies only those days. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_attributed_orders() }}",
    post_hook="{{ record_rewritten_days(recredited_paid_dates()) }}",
    meta={'publish_by_day': 'paid_date', 'publish_days_after': longest_attribution_window()}
) }}
-- depends_on: {{ ref('int_attribution__recredited_orders') }}
{%- set windows = var('attribution_detail_windows', [var('attribution_default_window')]) %}
{%- set path_elements = list_from('order_touches.touch_elements', 'paths.first_position') %}
-- Credit of every touch of every paid order under the seven models, one column per model, for
-- the lookback windows in attribution_detail_windows (default: the default window only; the
-- other windows are aggregated in mart_attribution_daily). Orders with no touch in the window
-- (or no identified buyer, like Douyin-shop orders) get one direct_or_organic row with credit
-- 1. Each model's credits sum to exactly 1 per order and window. Incremental by order: credits
-- do not depend on refunds, so a partitioned run rebuilds only the orders of its own days, those
-- paid within the longest lookback after them (their paths reach back into the window) and the
-- orders it credits anew (int_attribution__recredited_orders).
with paths as (
    select * from {{ ref('int_attribution__path_credits') }}
    where window_days in ({{ windows | join(', ') }}) and {{ in_attributed_orders() }}
),

order_touches as (
    select * from {{ ref('int_attribution__order_touches') }}
    where {{ in_attributed_orders() }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_paid and {{ in_attributed_orders() }}
),

cells as (
    select * from {{ ref('int_attribution__cells') }}
),

touches as (
    select
        paths.*,
        {{ per_element(path_elements, 'element') }} as element,
        {{ element_position(path_elements) }} as touch_number
    from paths
    inner join order_touches on paths.store = order_touches.store and paths.order_id = order_touches.order_id
    {{ element_rows(path_elements) }}
),

touch_credits as (
    select
        touches.store,
        touches.order_id,
        touches.window_days,
        touches.is_default_window,
        {{ element_touchpoint_key('touches.element') }} as touchpoint_key,
        cast(touches.touch_number as bigint) as touch_number,
        cast(touches.touch_count as bigint) as touch_count,
        cells.channel,
        cells.campaign_id,
        cells.note_id,
        cells.creator_id,
        {{ timestamp_from_epoch(element_epoch('touches.element')) }} as event_at,
        touches.paid_at,
        touches.paid_date,
    {%- for model in attribution_models() %}
        {{ touch_credit(model, 'touches.element', 'touches.paid_at') }} as {{ model }}_credit{{ "," if not loop.last }}
    {%- endfor %}
    from touches
    inner join cells on {{ element_cell_id('touches.element') }} = cells.cell_id
),

windows as (
    {{ rows_of(windows, 'window_days') }}
),

direct_credits as (
    select
        orders.store,
        orders.order_id,
        windows.window_days,
        windows.window_days = {{ var('attribution_default_window') }} as is_default_window,
        cast(null as {{ hash64_type() }}) as touchpoint_key,
        cast(1 as bigint) as touch_number,
        cast(1 as bigint) as touch_count,
        'direct_or_organic' as channel,
        cast(null as {{ text_type() }}) as campaign_id,
        cast(null as {{ text_type() }}) as note_id,
        cast(null as {{ text_type() }}) as creator_id,
        cast(null as timestamp) as event_at,
        orders.paid_at,
        orders.paid_date,
    {%- for model in attribution_models() %}
        cast(1 as decimal(18, 12)) as {{ model }}_credit{{ "," if not loop.last }}
    {%- endfor %}
    from orders
    cross join windows
    where not exists (
        select 1 from paths
        where
            orders.store = paths.store and orders.order_id = paths.order_id
            and windows.window_days = paths.window_days
    )
),

final as (
    select * from touch_credits
    union all
    select * from direct_credits
)

select * from final
