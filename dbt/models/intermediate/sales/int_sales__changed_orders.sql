{{ config(materialized='table') }}
{#- Read before fct_orders is rebuilt: what the warehouse stored for each order until this run.
    Not a ref (fct_orders is downstream of this list); none on a first or full build. -#}
{%- set partitioned = run_window() is not none -%}
{%- set stored_orders = none -%}
{%- set stored_lines = none -%}
{%- if partitioned and execute -%}
    {%- set node = graph.nodes['model.zhongcao.fct_orders'] -%}
    {%- set stored_orders = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- set node = graph.nodes['model.zhongcao.fct_order_lines'] -%}
    {%- set stored_lines = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
{%- endif -%}
{%- set in_run = 'true' if partitioned else 'false' -%}
-- The orders a partitioned (nightly) run rebuilds in the order-side models (in_changed_orders,
-- dbt/macros/changed_orders.sql): orders whose exports of the partition's days say something
-- new (created, refunded, picked up, billed), orders whose buyer now belongs to another person
-- or whose click id now points at another click, and every order of the people those orders
-- belong to, before and after (their repurchase sequence may change). Empty on full builds,
-- which rebuild every order.
{#- Each export that dates an order: its model, its store and the day column the run's days select
    (bill lines and waybills may name no order). -#}
{%- set dating_exports = [
    ('stg_tmall__orders', 'tmall', 'order_date'),
    ('stg_tmall__refunds', 'tmall', 'requested_date'),
    ('int_logistics__waybills', 'tmall', 'cast(picked_up_at as date)'),
    ('stg_alipay__bill', 'tmall', 'occurred_date'),
    ('stg_wechatpay__bill', 'tmall', 'trade_time_date'),
    ('stg_douyin__shop_orders', 'douyin_shop', 'submitted_date'),
] %}
with dated as (
    {%- for model, store, day in dating_exports %}
        select
            '{{ store }}' as store,
            order_id
        from {{ ref(model) }}
        where {{ in_run }} and {{ in_run_days(day) }} and order_id is not null
        {{ 'union' if not loop.last }}
    {%- endfor %}
),

stored as (
    {%- if stored_orders is not none %}
        select
            store,
            order_id,
            person_key,
            is_paid,
            paid_at,
            paid_date,
            gmv,
            paid_amount,
            net_revenue,
            conversion_number,
            click_id,
            order_channel,
            campaign_id,
            note_id,
            creator_id
        from {{ stored_orders }}
    {%- else %}
        select
            cast(null as {{ text_type() }}) as store,
            cast(null as {{ text_type() }}) as order_id,
            cast(null as {{ text_type() }}) as person_key,
            cast(null as boolean) as is_paid,
            cast(null as timestamp) as paid_at,
            cast(null as date) as paid_date,
            cast(null as decimal(18, 2)) as gmv,
            cast(null as decimal(18, 2)) as paid_amount,
            cast(null as decimal(18, 2)) as net_revenue,
            cast(null as bigint) as conversion_number,
            cast(null as {{ text_type() }}) as click_id,
            cast(null as {{ text_type() }}) as order_channel,
            cast(null as {{ text_type() }}) as campaign_id,
            cast(null as {{ text_type() }}) as note_id,
            cast(null as {{ text_type() }}) as creator_id
        where false
    {%- endif %}
),

current_people as (
    select
        orders.order_id,
        buyers.person_key
    from {{ ref('stg_tmall__orders') }} as orders
    inner join {{ ref('dim_person_identifiers') }} as buyers
        on buyers.identifier_type = 'tmall_buyer_id' and orders.buyer_oneid = buyers.identifier
    where {{ in_run }}
),

-- New identity links or a corrected click export change an order without a new export of it.
drifted as (
    select
        stored.store,
        stored.order_id
    from stored
    left join current_people on stored.order_id = current_people.order_id
    left join {{ ref('int_sales__first_clicks') }} as clicks on stored.click_id = clicks.click_id
    where
        stored.store = 'tmall'
        and (
            stored.person_key is distinct from current_people.person_key
            or stored.order_channel is distinct from coalesce(clicks.channel, 'tmall')
            or stored.campaign_id is distinct from clicks.campaign_id
            or stored.note_id is distinct from clicks.note_id
            or stored.creator_id is distinct from clicks.creator_id
        )
),

-- An order both exported and drifted is listed as exported (the reason the most models act on).
seeds as (
    select
        store,
        order_id,
        'exported' as reason
    from dated
    union all
    select
        store,
        order_id,
        'drifted' as reason
    from drifted
    where (store, order_id) not in (
        select
            dated.store,
            dated.order_id
        from dated
    )
),

people as (
    select stored.person_key
    from seeds
    inner join stored on seeds.store = stored.store and seeds.order_id = stored.order_id
    where stored.person_key is not null
    union
    select current_people.person_key
    from seeds
    inner join current_people on seeds.store = 'tmall' and seeds.order_id = current_people.order_id
),

their_orders as (
    select
        store,
        order_id,
        'same_person' as reason
    from stored
    where
        person_key in (select people.person_key from people)
        and (store, order_id) not in (
            select
                seeds.store,
                seeds.order_id
            from seeds
        )
),

listed as (
    select * from seeds
    union all
    select * from their_orders
),

-- What fct_order_lines held for the orders the exports list or that drifted: their CM2, which a
-- late waybill or bill changes (a same_person order is only renumbered, its lines stay).
stored_margins as (
    {%- if stored_lines is not none %}
        select
            store,
            order_id,
            sum(cm2) as cm2
        from {{ stored_lines }}
        where (store, order_id) in (select seeds.store, seeds.order_id from seeds)
        group by store, order_id
    {%- else %}
        select
            cast(null as {{ text_type() }}) as store,
            cast(null as {{ text_type() }}) as order_id,
            cast(null as decimal(18, 2)) as cm2
        where false
    {%- endif %}
),

changed as (
    select
        listed.store,
        listed.order_id,
        listed.reason,
        stored.is_paid as previous_is_paid,
        stored.paid_at as previous_paid_at,
        stored.paid_date as previous_paid_date,
        stored.gmv as previous_gmv,
        stored.paid_amount as previous_paid_amount,
        stored.net_revenue as previous_net_revenue,
        stored_margins.cm2 as previous_cm2,
        stored.conversion_number as previous_conversion_number,
        stored.person_key as previous_person_key
    from listed
    left join stored on listed.store = stored.store and listed.order_id = stored.order_id
    left join stored_margins on listed.store = stored_margins.store and listed.order_id = stored_margins.order_id
)

select * from changed
