{#- Partitioned (nightly) runs: the partition's Shanghai dates reach dbt as the vars
    partition_start and partition_end (inclusive, YYYY-MM-DD; `dbt build --vars` by hand), or from
    Dagster as the environment variables ZHONGCAO_PARTITION_START and ZHONGCAO_PARTITION_END. An
    incremental model then rebuilds only those dates; without them, or on a first or
    full-refresh build, every date is built. -#}

{#- One bound of the partition ('start' or 'end'), none on a full build. The environment is read
    only while executing: dbt re-parses the whole project (≈ 5 s on the large world) whenever
    --vars change, which would be every night, but keeps its partial parse across environment
    variables that no file read while parsing. -#}
{% macro partition_bound(which) -%}
    {%- set value = var('partition_' ~ which, none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('ZHONGCAO_PARTITION_' ~ (which | upper), '') or none -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{#- The days this run may rewrite in the incremental models, [start, end], or none when it
    rebuilds every day (no partition, or --full-refresh). -#}
{% macro run_window() -%}
    {%- set start = partition_bound('start') -%}
    {%- set end = partition_bound('end') -%}
    {%- if start is none or end is none or flags.FULL_REFRESH -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return([start, end]) -}}
{%- endmacro %}

{% macro is_partitioned_run() -%}
    {{- return(is_incremental() and partition_bound('start') is not none) -}}
{%- endmacro %}

{#- A filter keeping `column` (a date) inside the partition, widened `lookback_days` back and
    `lookahead_days` forward (none: every later date); `true` when the whole history is built. -#}
{% macro in_partition(column, lookback_days=0, lookahead_days=0) -%}
    {%- if is_partitioned_run() -%}
        ({{ column }} >= cast('{{ partition_bound("start") }}' as date) - {{ lookback_days }}
        {%- if lookahead_days is not none %}
            and {{ column }} <= cast('{{ partition_bound("end") }}' as date) + {{ lookahead_days }}
        {%- endif %})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- in_partition for a day computed from a stored timestamp (a staging view's
    `cast(ts as date)`), with the same window also put on the timestamp itself: DuckDB skips
    row groups by the min/max of stored columns only, so the day alone read every row group of
    the raw table (one night's day of 50 M data-bank rows: 0.53 s, with the range 0.03 s). -#}
{% macro in_partition_of_time(day_column, timestamp_column) -%}
    {%- if is_partitioned_run() -%}
        ({{ in_partition(day_column) }}
            and {{ timestamp_column }} >= cast(cast('{{ partition_bound("start") }}' as date) as timestamp)
            and {{ timestamp_column }} < cast(cast('{{ partition_bound("end") }}' as date) + 1 as timestamp))
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The longest attribution lookback window (days). -#}
{% macro longest_attribution_window() -%}
    {{- return(var('attribution_windows') | max) -}}
{%- endmacro %}

{#- Payment days whose attribution a partitioned run recomputes: the partition's days and the
    longest lookback window after them, since an order's path reaches that far back. A normal
    night finds no payments after its day; a corrected export of an earlier day re-credits
    every order whose lookback covers that day. -#}
{% macro in_attributed_paid_dates(column) -%}
    {{- return(in_partition(column, 0, longest_attribution_window())) -}}
{%- endmacro %}

{#- The orders the models that credit by order (int_attribution__order_touches, __paths,
    fct_attribution_credits, int_attribution__order_channel_credits) rebuild in a partitioned
    run: those of the payment days in_attributed_paid_dates keeps, and the orders
    int_attribution__recredited_orders lists on any other day (a new buyer link moved them to
    another person). A filter on the relation's `store`, `order_id` and `paid_date` columns;
    `true` when every order is credited. -#}
{% macro in_attributed_orders(paid_date='paid_date', store='store', order_id='order_id') -%}
    {%- if is_partitioned_run() -%}
        {%- do require_in_run(
            'int_attribution__recredited_orders', 'credits anew the orders int_attribution__recredited_orders lists'
        ) -%}
        {%- if any_recredited_orders() -%}
            ({{ in_attributed_paid_dates(paid_date) }}
            or ({{ paid_date }} in {{ recredited_paid_dates() }}
                and ({{ store }}, {{ order_id }}) in (select store, order_id from {{ ref('int_attribution__recredited_orders') }})))
        {%- else -%}
            {{ in_attributed_paid_dates(paid_date) }}
        {%- endif -%}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Whether int_attribution__recredited_orders lists any order (read when the model is compiled,
    after the list was built in the run): a night that links no older buyer lists none, and a
    filter by order key costs a probe of every stored row (22 M per-touch credits on the large
    world: up to 2.2 s a model). True while parsing, so that dbt sees the ref. -#}
{% macro any_recredited_orders() -%}
    {%- if not execute -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set listed = run_query('select count(*) from ' ~ ref('int_attribution__recredited_orders')) -%}
    {{- return(listed.columns[0].values()[0] > 0) -}}
{%- endmacro %}

{#- Their pre-hook: the rows of the orders the model rebuilds go first (append then inserts them
    anew), so an order that moved to another day, or no longer has a path, leaves none behind. -#}
{% macro delete_attributed_orders() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_attributed_orders() }}
    {%- endif -%}
{%- endmacro %}

{#- The payment days, now and before, of the orders int_attribution__recredited_orders lists (a
    subquery of days): their rows in the models that credit by order changed. -#}
{% macro recredited_paid_dates() -%}
    (
        select paid_date from {{ ref('int_attribution__recredited_orders') }}
        where paid_date is not null
        union
        select previous_paid_date from {{ ref('int_attribution__recredited_orders') }}
        where previous_paid_date is not null
    )
{%- endmacro %}

{#- Incremental models that keep a first (or smallest) value per key fold a partitioned run's
    window into what they stored: `union all` the stored rows of the keys the window's CTE
    `window_cte` brings, as `columns` (a list of select expressions); nothing on a full build. -#}
{% macro stored_rows_of_window_keys(window_cte, key, columns) -%}
    {%- if is_partitioned_run() %}
        union all
        select {{ columns | join(', ') }}
        from {{ this }} as known
        where known.{{ key }} in (select window_rows.{{ key }} from {{ window_cte }} as window_rows)
    {%- endif %}
{%- endmacro %}

{#- Payment days a partitioned run rebuilds in the attribution marts: the days whose credits it
    recomputes and the payment days of the orders whose money it changed
    (int_attribution__affected_paid_dates). A filter on `column`; `true` when the whole history
    is built. -#}
{% macro in_affected_paid_dates(column) -%}
    {%- if is_partitioned_run() -%}
        {%- do require_in_run(
            'int_attribution__affected_paid_dates', 're-sums the payment days int_attribution__affected_paid_dates lists'
        ) -%}
        {{ column }} in (select paid_date from {{ ref('int_attribution__affected_paid_dates') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Every dbt run or build records, before any model runs, which days it may rewrite in the
    incremental models: its partition vars, or none (every day) without them or with
    --full-refresh. The publication copies only those days of the big marts into the BI file
    (zhongcao/publish.py), so a build started outside Dagster, or killed half-way, still counts. -#}
{% macro record_dbt_run() -%}
    {%- if execute and flags.WHICH in ('run', 'build') and target.type == 'duckdb' -%}
        {%- set window = run_window() -%}
        create schema if not exists meta;
        create table if not exists meta.dbt_runs (
            invocation_id varchar not null,
            command varchar not null,
            window_start date,
            window_end date,
            started_at timestamp not null
        );
        create table if not exists meta.model_runs (
            invocation_id varchar not null,
            model varchar not null,
            finished_at timestamp not null
        );
        create table if not exists meta.rewritten_days (
            invocation_id varchar not null,
            model varchar not null,
            day date not null
        );
        insert into meta.dbt_runs values (
            '{{ invocation_id }}',
            '{{ flags.WHICH }}',
            {{ "cast('" ~ window[0] ~ "' as date)" if window else 'null' }},
            {{ "cast('" ~ window[1] ~ "' as date)" if window else 'null' }},
            cast(current_timestamp as timestamp)
        )
    {%- endif -%}
{%- endmacro %}

{#- A post-hook of the models that end a chain a partitioned run redoes from the stored previous
    values of int_sales__changed_orders (mart_attribution_daily; fct_order_lines, which ends the
    marketing allocation; int_attribution__order_channel_credits, which ends the models that
    credit by order): the runs that built them. Those values say what the model last saw
    only if the run before this one built it; a run killed or failed before it left changes
    that the next run's list no longer shows (previous_run_built). -#}
{% macro record_model_run() -%}
    {%- if execute and target.type == 'duckdb' -%}
        insert into meta.model_runs values (
            '{{ invocation_id }}', '{{ this.identifier }}', cast(current_timestamp as timestamp)
        )
    {%- endif -%}
{%- endmacro %}

{#- A post-hook of the marts published by day (meta publish_by_day) that a partitioned run also
    rewrites on days outside its window: those `days` (a subquery of dates), which the
    publication copies too (zhongcao/publish.py). DuckDB only, like meta.dbt_runs. -#}
{% macro record_rewritten_days(days) -%}
    {%- if is_partitioned_run() and target.type == 'duckdb' -%}
        insert into meta.rewritten_days
        select distinct '{{ invocation_id }}', '{{ this.identifier }}', rewritten.day
        from {{ days }} as rewritten (day)
        where rewritten.day is not null
    {%- endif -%}
{%- endmacro %}

{#- Whether the dbt run or build before this one built `model` (a condition; DuckDB only, like
    meta.dbt_runs). -#}
{% macro previous_run_built(model) -%}
    exists (
        select 1 from meta.model_runs as built
        where
            built.model = '{{ model }}'
            and built.invocation_id = (
                select previous.invocation_id from meta.dbt_runs as previous
                where previous.invocation_id <> '{{ invocation_id }}'
                order by previous.started_at desc
                limit 1
            )
    )
{%- endmacro %}

{#- Tests of by-day models: a filter keeping `column` (a date) inside the days a partitioned run
    rewrote (the others did not change, and a night should not re-read 50 M rows per test),
    widened `lookahead_days` forward; `true` without partition vars or with --full-refresh,
    when every row was built. Tests and the table models that rebuild every run are not
    incremental models, so this cannot use in_partition. -#}
{% macro in_run_days(column, lookahead_days=0) -%}
    {%- set window = run_window() -%}
    {%- if window is none -%}
        true
    {%- else -%}
        {{ column }} between cast('{{ window[0] }}' as date)
        and cast('{{ window[1] }}' as date){{ ' + ' ~ lookahead_days if lookahead_days else '' }}
    {%- endif -%}
{%- endmacro %}

{#- A generic test in YAML says `where: "run_days(<date column>)"` for the same filter (YAML
    config cannot call project macros; dbt renders `where` through get_where_subquery, overridden
    here), or `where: "rows_of_this_run"` on a model incremental by key that stamps its rows
    with dbt_invocation_id: a partitioned run then tests the rows it wrote. That is enough for a
    test of a row or of rows sharing the key (the unique grain): the run deleted every stored
    row of each key it wrote. Any other `where` is dbt's own behaviour. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and where.startswith('run_days(') and where.endswith(')') -%}
        {%- set where = in_run_days(where[9:-1]) | trim -%}
        {%- if where == 'true' -%}
            {%- set where = none -%}
        {%- endif -%}
    {%- elif where == 'rows_of_this_run' -%}
        {%- set where = 'dbt_invocation_id = ' ~ dbt_invocation_id() if run_window() is not none else none -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
