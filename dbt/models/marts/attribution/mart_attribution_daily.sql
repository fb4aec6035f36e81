{{ config(
    materialized='incremental',
    incremental_strategy=by_key_strategy(),
    unique_key='date_day',
    post_hook="{{ record_model_run() }}"
) }}
-- depends_on: {{ ref('int_attribution__affected_paid_dates') }}
{%- set money = ['gmv', 'paid_amount', 'net_revenue', 'cm2'] %}
{%- set keys = 'date_day, attribution_model, window_days' %}
-- Attributed orders, new buyers and money per payment day × channel × campaign × note ×
-- creator × model × window. Credits are exact (an order's sum to 1), so a day's rows of one
-- model and window add up to the day's paid orders exactly; money is credit × the order's
-- money, apportioned to the cent so that those rows add up to the day's money exactly too.
-- A partitioned run rebuilds its days and the payment days of the orders whose money it
-- changed (int_attribution__affected_paid_dates: refunds, late waybills and bills, new buyer links).
with order_margins as (
    select
        store,
        order_id,
        -- DECIMAL(18, 2) like the other money: credit × a wider sum loses decimals on Spark.
        cast(sum(cm2) as decimal(18, 2)) as cm2
    from {{ ref('fct_order_lines') }}
    where is_paid and {{ in_affected_paid_dates('paid_date') }}
    group by all
),

orders as (
    select
        paid_orders.store,
        paid_orders.order_id,
        paid_orders.paid_date,
        paid_orders.gmv,
        paid_orders.paid_amount,
        paid_orders.net_revenue,
        coalesce(order_margins.cm2, 0) as cm2,
        coalesce(paid_orders.conversion_number = 1, false) as is_new_buyer
    from {{ ref('fct_orders') }} as paid_orders
    left join order_margins on paid_orders.store = order_margins.store and paid_orders.order_id = order_margins.order_id
    where paid_orders.is_paid and {{ in_affected_paid_dates('paid_orders.paid_date') }}
),

paths as (
    select * from {{ ref('int_attribution__path_credits') }}
    where {{ in_affected_paid_dates('paid_date') }}
),

order_touches as (
    select * from {{ ref('int_attribution__order_touches') }}
    where {{ in_affected_paid_dates('paid_date') }}
),

cells as (
    select * from {{ ref('int_attribution__cells') }}
),

windows as (
    {{ rows_of(var('attribution_windows'), 'window_days') }}
),

path_elements as (
    select
        paths.*,
        {{ list_from('order_touches.touch_elements', 'paths.first_position') }} as elements
    from paths
    inner join order_touches on paths.store = order_touches.store and paths.order_id = order_touches.order_id
),

-- Credits are computed inside the path's list on DuckDB (the lambdas read the path's columns
-- where they lie) and unnested in lockstep with the touches: carrying every path column through
-- an unnest of tens of millions of touches would cost more than the credits themselves.
touch_credits as (
    select
        orders.*,
        paths.window_days,
        {{ per_element('paths.elements', element_cell_id('element')) }} as cell_id,
    {%- for model in attribution_models() %}
        {{ per_element('paths.elements', touch_credit(model, 'element', 'paths.paid_at')) }}
            as {{ model }}_credit{{ "," if not loop.last }}
    {%- endfor %}
    from path_elements as paths
    inner join orders on paths.store = orders.store and paths.order_id = orders.order_id
    {{ element_rows('paths.elements') }}
),

-- Orders without a touch in the window: credited in full to direct_or_organic (cell 0).
direct_credits as (
    select
        orders.*,
        windows.window_days,
        0 as cell_id,
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

credits as (
    select * from touch_credits
    union all
    select * from direct_credits
),

cell_totals as (
    select
        paid_date as date_day,
        window_days,
        cell_id,
        {%- for model in attribution_models() %}
            sum({{ model }}_credit) as {{ model }}_orders,
            coalesce(sum({{ model }}_credit) filter (where is_new_buyer), 0) as {{ model }}_new_buyers,
            {%- for measure in money %}
                sum({{ model }}_credit * {{ measure }}) as {{ model }}_{{ measure }},
            {%- endfor %}
        {%- endfor %}
        count(*) as credited_rows
    from credits
    group by all
),

by_model as (
    {%- for model in attribution_models() %}
        select
            date_day,
            window_days,
            cell_id,
            '{{ model }}' as attribution_model,
            {{ model }}_orders as attributed_orders,
            {{ model }}_new_buyers as attributed_new_buyers,
        {%- for measure in money %}
            {{ model }}_{{ measure }} as exact_{{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
        from cell_totals
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        by_model.date_day,
        coalesce(cells.channel, 'direct_or_organic') as channel,
        cells.campaign_id,
        cells.note_id,
        cells.creator_id,
        by_model.attribution_model,
        cast(by_model.window_days as integer) as window_days,
        by_model.window_days = {{ var('attribution_default_window') }} as is_default_window,
        cast(by_model.attributed_orders as decimal(18, 12)) as attributed_orders,
        cast(by_model.attributed_new_buyers as decimal(18, 12)) as attributed_new_buyers,
    {%- for measure in money %}
        {{ apportion('by_model.exact_' ~ measure, 'by_model.' ~ keys.replace(', ', ', by_model.'), 'by_model.cell_id') }}
            as attributed_{{ measure }}{{ "," if not loop.last }}
    {%- endfor %}
    from by_model
    left join cells on by_model.cell_id = cells.cell_id
)

select * from final
