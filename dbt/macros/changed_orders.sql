{#- The order-side models (int_sales__order_lines, int_sales__orders, fct_orders,
    int_finance__order_costs, fct_settlement_checks, int_finance__order_marketing,
    fct_order_lines) are incremental by order: a partitioned run rebuilds only the orders
    int_sales__changed_orders lists (and, for the marketing allocation, the months whose spend,
    credits or net revenue changed), so a night's cost follows the day's orders, not the history.
    The AIPL models (int_aipl__state_entries, int_aipl__transitions) are incremental by person:
    the people of those orders and of the run's first touches (people_rebuilt); dim_buyers likewise. -#}

{#- A filter keeping the rows of changed orders: `order_id` is the order id column, and the store
    is either a literal (`store='tmall'`) or a column (`store_column='store'`); `reasons` limits
    the list to orders changed for those reasons (int_sales__changed_orders.reason). `true` when
    the model builds every order. -#}
{% macro in_changed_orders(order_id, store=none, store_column=none, reasons=none) -%}
    {%- if is_partitioned_run() -%}
        {%- do require_changed_orders() -%}
        {%- set only = " and reason in ('" ~ reasons | join("', '") ~ "')" if reasons else '' -%}
        {%- if store is not none -%}
            {{ order_id }} in (
                select order_id from {{ ref('int_sales__changed_orders') }} where store = '{{ store }}'{{ only }}
            )
        {%- else -%}
            ({{ store_column }}, {{ order_id }}) in (
                select store, order_id from {{ ref('int_sales__changed_orders') }} where true{{ only }}
            )
        {%- endif -%}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- int_sales__changed_orders describes the run it was built in: a partitioned run that selects an
    order-side model without it would read another run's list and silently skip orders. -#}
{% macro require_changed_orders(purpose='rebuilds the orders int_sales__changed_orders lists') -%}
    {%- do require_in_run('int_sales__changed_orders', purpose) -%}
{%- endmacro %}

{#- A list built for each partitioned run (`model`) that this model reads, for `purpose` (what it
    does with it): the run must build the list too, or the model would read another run's. -#}
{% macro require_in_run(model, purpose) -%}
    {%- if execute and selected_resources -%}
        {%- if 'model.zhongcao.' ~ model not in selected_resources -%}
            {{- exceptions.raise_compiler_error(
                this.identifier ~ " " ~ purpose ~ " for this run's partition, but the run does not build "
                ~ model ~ ": select it too (e.g. dbt build --select +" ~ this.identifier
                ~ "), or build without partition vars."
            ) -}}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The months whose marketing allocation a partitioned run redoes (a subquery of month starts):
    the months of the partition's days and of the longest attribution window after them (their
    spend and their credits changed), and the payment months, before and after, of the orders
    whose payment day or net revenue the run changed (a refund moves its month's shares), and of
    the orders it credits anew (int_attribution__recredited_orders). A bill or a waybill changes
    neither. Every month once when the run before this one did not build fct_order_lines
    (killed or failed before it): the previous values it left no longer show what it changed. -#}
{% macro marketing_months_rebuilt() -%}
    (
        select cast(date_trunc('month', day) as date) as month_start
        from range(
            cast('{{ partition_bound("start") }}' as timestamp),
            cast('{{ partition_bound("end") }}' as timestamp) + interval {{ longest_attribution_window() | int + 1 }} day,
            interval 1 day
        ) as days (day)
        union
        select unnest([
            cast(date_trunc('month', changed.previous_paid_date) as date),
            cast(date_trunc('month', settled.paid_date) as date)
        ])
        from {{ ref('int_sales__changed_orders') }} as changed
        inner join {{ ref('fct_orders') }} as settled
            on changed.store = settled.store and changed.order_id = settled.order_id
        where
            changed.reason = 'exported'
            and (
                changed.previous_paid_date is distinct from settled.paid_date
                or changed.previous_net_revenue is distinct from settled.net_revenue
            )
        union
        select distinct cast(date_trunc('month', paid_date) as date)
        from {{ ref('fct_orders') }}
        where is_paid and not {{ previous_run_built('fct_order_lines') }}
        union
        select distinct cast(date_trunc('month', recredited.paid_date) as date)
        from {{ recredited_paid_dates() }} as recredited (paid_date)
    )
{%- endmacro %}

{#- A filter keeping `month_column` (a month start) inside marketing_months_rebuilt; `true` when
    the model builds every month. -#}
{% macro in_marketing_months_rebuilt(month_column) -%}
    {%- if is_partitioned_run() -%}
        {{ month_column }} in {{ marketing_months_rebuilt() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The orders whose lines fct_order_lines rebuilds on a partitioned run (a query of store,
    order_id): those int_sales__changed_orders lists as exported or drifted (a line holds no
    repurchase numbers), and every paid order of the months whose marketing allocation the run
    redoes. On a full build, a query of no orders (fct_order_lines then filters nothing). -#}
{% macro order_lines_rebuilt() -%}
    {%- if is_partitioned_run() -%}
        {%- do require_changed_orders() -%}
        select
            store,
            order_id
        from {{ ref('int_sales__changed_orders') }}
        where reason in ('exported', 'drifted')
        union
        select
            store,
            order_id
        from {{ ref('fct_orders') }}
        where is_paid and cast(date_trunc('month', paid_date) as date) in {{ marketing_months_rebuilt() }}
    {%- else -%}
        select
            store,
            order_id
        from {{ ref('fct_orders') }}
        where false
    {%- endif -%}
{%- endmacro %}

{#- The people whose rows a partitioned run rebuilds in the by-person models (AIPL states,
    dim_buyers; a subquery of person keys): those
    whose first touch or first interest now falls in the run's days (int_funnel__person_first_touches
    folds the run's touches in: only a first in those days can have changed) and the people of
    the changed orders, now and before the run (an order re-keyed to another person leaves the
    first). -#}
{% macro people_rebuilt() -%}
    (
        select person_key from {{ ref('int_funnel__person_first_touches') }}
        where {{ in_partition('first_touch_date') }} or {{ in_partition('first_interest_date') }}
        union
        select orders.person_key
        from {{ ref('fct_orders') }} as orders
        inner join {{ ref('int_sales__changed_orders') }} as changed
            on orders.store = changed.store and orders.order_id = changed.order_id
        where orders.person_key is not null
        union
        select changed.previous_person_key
        from {{ ref('int_sales__changed_orders') }} as changed
        where changed.previous_person_key is not null
    )
{%- endmacro %}

{#- True when the categories bought (fct_orders) are not those the model being built (`this`)
    has rows of: a new category gives everyone a row of its scope, a category whose purchases
    were all refunded takes everyone's away, so everyone is rebuilt. Both by-person AIPL models
    have rows of every category bought (its buyers' purchases, everyone's awareness). The
    select runs after the pre-hook's delete; if that delete took a category's last rows, the
    select rebuilds everyone, which delete+insert makes a full rebuild: slower, never wrong. -#}
{% macro aipl_categories_changed() -%}
    exists (
        (
            select category from {{ ref('fct_orders') }}
            where person_key is not null and is_conversion
            except
            select category from {{ this }} where category <> 'all'
        )
        union all
        (
            select category from {{ this }} where category <> 'all'
            except
            select category from {{ ref('fct_orders') }}
            where person_key is not null and is_conversion
        )
    )
{%- endmacro %}

{#- The by-person models' filter: `person_key` inside people_rebuilt (for the AIPL models,
    `aipl`, or everyone when the categories bought changed: dim_buyers' rows do not depend on
    what others bought); `true` when the model builds everyone. -#}
{% macro in_people_rebuilt(person_key, aipl=false) -%}
    {%- if is_partitioned_run() -%}
        {%- do require_changed_orders() -%}
        ({{ person_key }} in {{ people_rebuilt() }}{{ ' or ' ~ aipl_categories_changed() if aipl }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro in_aipl_people_rebuilt(person_key) -%}
    {{- in_people_rebuilt(person_key, aipl=true) -}}
{%- endmacro %}

{#- The by-person models' pre-hook: a person rebuilt may no longer have any row (their only
    order now belongs to someone else), and delete+insert only deletes the keys it inserts. -#}
{% macro delete_people_rebuilt(aipl=false) -%}
    {%- if is_partitioned_run() -%}
        delete from {{ this }} where {{ in_people_rebuilt('person_key', aipl) }}
    {%- endif -%}
{%- endmacro %}

{#- The dbt invocation writing a row of a mart incremental by order (meta.dbt_runs.invocation_id),
    for the column the mart's meta `publish_by_run` names: the publication replaces only the
    rows of the runs since its last one, by the mart's unique key (zhongcao/publish.py), instead
    of copying millions of orders a night. The column stays in the warehouse. -#}
{% macro dbt_invocation_id() -%}
    cast('{{ invocation_id }}' as {{ text_type() }})
{%- endmacro %}
