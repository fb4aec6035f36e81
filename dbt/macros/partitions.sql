{#- Partitioned (nightly) runs: Dagster passes the partition's Shanghai dates as the vars
    partition_start and partition_end (inclusive, YYYY-MM-DD). An incremental model then
    rebuilds only those dates; without the vars, or on a first or full-refresh build, every
    date is built. -#}
{% macro is_partitioned_run() -%}
    {{- return(is_incremental() and var('partition_start', none) is not none) -}}
{%- endmacro %}

{#- A filter keeping `column` (a date) inside the partition, widened `lookback_days` back;
    `true` when the whole history is built. -#}
{% macro in_partition(column, lookback_days=0) -%}
    {%- if is_partitioned_run() -%}
        {{ column }} between cast('{{ var("partition_start") }}' as date) - {{ lookback_days }}
        and cast('{{ var("partition_end") }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Payment days a partitioned run rebuilds in the attribution marts: the partition's own days
    and the payment days of orders refunded in it (their money changed). A filter on
    `column`; `true` when the whole history is built. -#}
{% macro in_affected_paid_dates(column) -%}
    {%- if is_partitioned_run() -%}
        {{ column }} in (
            select paid_date from {{ ref('fct_orders') }}
            where is_paid and ({{ in_partition('paid_date') }} or {{ in_partition('cast(refunded_at as date)') }})
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
