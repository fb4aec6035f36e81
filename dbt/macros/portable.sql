{#- What differs between DuckDB and Spark SQL, in one place (adapter.dispatch): the models call
    these macros instead of engine-only syntax, so the same project builds on both. -#}

{#- Incremental models rebuilt by key (a day, a person): DuckDB deletes the keys and inserts.
    Spark's file tables have no DELETE; the `spark` target builds in full (--full-refresh, checked
    by refuse_spark_increments), where a strategy only names how the first build is written. -#}
{% macro by_key_strategy() -%}
    {{- return('delete+insert' if target.type != 'spark' else 'insert_overwrite') -}}
{%- endmacro %}

{% macro refuse_spark_increments() -%}
    {%- if execute and target.type == 'spark' and flags.WHICH in ('run', 'build') and not flags.FULL_REFRESH -%}
        {{- exceptions.raise_compiler_error(
            "On the spark target the project builds in full: run dbt with --full-refresh. "
            ~ "Nightly increments on Spark need a table format with MERGE or DELETE (Delta Lake, Iceberg); see docs/spark.md."
        ) -}}
    {%- endif -%}
{%- endmacro %}

{#- A 64-bit hash of the arguments, for keys and deterministic tie-breaks. The engines hash
    differently (DuckDB's hash, Spark's xxhash64), so hash values are never compared across
    engines; everything else a mart holds is. -#}
{% macro hash64() -%}
    {{- return(adapter.dispatch('hash64', 'zhongcao')(varargs)) -}}
{%- endmacro %}
{% macro default__hash64(args) %}hash({{ args | join(', ') }}){% endmacro %}
{% macro spark__hash64(args) %}xxhash64({{ args | join(', ') }}){% endmacro %}

{#- Seconds since 1970 of a timestamp read as UTC (the exports' wall-clock times are never shifted). -#}
{% macro epoch_seconds(timestamp) -%}
    {{- return(adapter.dispatch('epoch_seconds', 'zhongcao')(timestamp)) -}}
{%- endmacro %}
{% macro default__epoch_seconds(timestamp) %}epoch({{ timestamp }}){% endmacro %}
{% macro spark__epoch_seconds(timestamp) %}unix_timestamp({{ timestamp }}){% endmacro %}

{#- A value ordering rows by `timestamp`, then by the 64-bit hash `tiebreak`: min_by(x,
    time_order_key(...)) takes the x of the earliest row. On DuckDB one HUGEINT, microseconds
    in the high bits and the unsigned hash in the low 64: a [epoch, tiebreak] list as the key made
    int_funnel__person_first_touches' query take 21.5 s on the large world, this 9.2 s. -#}
{% macro time_order_key(timestamp, tiebreak) -%}
    {{- return(adapter.dispatch('time_order_key', 'zhongcao')(timestamp, tiebreak)) -}}
{%- endmacro %}
{% macro default__time_order_key(timestamp, tiebreak) -%}
    ((cast(epoch_us({{ timestamp }}) as hugeint) << 64) + {{ tiebreak }})
{%- endmacro %}
{% macro spark__time_order_key(timestamp, tiebreak) -%}
    struct({{ epoch_seconds(timestamp) }}, {{ tiebreak }})
{%- endmacro %}

{#- A join clause adding one row per day of [first_day, last_day] to each row before it, the
    day in column `column` of relation `alias`. -#}
{% macro day_series(first_day, last_day, alias, column) -%}
    {{- return(adapter.dispatch('day_series', 'zhongcao')(first_day, last_day, alias, column)) -}}
{%- endmacro %}
{% macro default__day_series(first_day, last_day, alias, column) -%}
    cross join range({{ first_day }}, {{ last_day }} + interval 1 day, interval 1 day) as {{ alias }} ({{ column }})
{%- endmacro %}
{% macro spark__day_series(first_day, last_day, alias, column) -%}
    lateral view explode(sequence({{ first_day }}, {{ last_day }}, interval 1 day)) {{ alias }} as {{ column }}
{%- endmacro %}

{#- ISO day of the week: Monday 1 … Sunday 7. -#}
{% macro iso_day_of_week(day) -%}
    {{- return(adapter.dispatch('iso_day_of_week', 'zhongcao')(day)) -}}
{%- endmacro %}
{% macro default__iso_day_of_week(day) %}isodow({{ day }}){% endmacro %}
{% macro spark__iso_day_of_week(day) %}extract(dayofweek_iso from {{ day }}){% endmacro %}

{#- A date `months` months after `day` (same day of the month, or the month's last). -#}
{% macro add_months(day, months) -%}
    {{- return(adapter.dispatch('add_months', 'zhongcao')(day, months)) -}}
{%- endmacro %}
{% macro default__add_months(day, months) %}cast({{ day }} + to_months({{ months }}) as date){% endmacro %}
{% macro spark__add_months(day, months) %}add_months({{ day }}, {{ months }}){% endmacro %}

{#- Lists (DuckDB) and arrays (Spark): the same operations under two spellings. Positions
    count from 1 on both; a negative position counts from the end. -#}
{% macro sorted_list_of(value) -%}
    {{- return(adapter.dispatch('sorted_list_of', 'zhongcao')(value)) -}}
{%- endmacro %}
{% macro default__sorted_list_of(value) %}list_sort(list({{ value }})){% endmacro %}
{% macro spark__sorted_list_of(value) %}array_sort(collect_list({{ value }})){% endmacro %}

{% macro list_keep(list, name, condition) -%}
    {{- return(adapter.dispatch('list_keep', 'zhongcao')(list, name, condition)) -}}
{%- endmacro %}
{% macro default__list_keep(list, name, condition) %}list_filter({{ list }}, lambda {{ name }}: {{ condition }}){% endmacro %}
{% macro spark__list_keep(list, name, condition) %}filter({{ list }}, {{ name }} -> {{ condition }}){% endmacro %}

{% macro list_map(list, name, expression) -%}
    {{- return(adapter.dispatch('list_map', 'zhongcao')(list, name, expression)) -}}
{%- endmacro %}
{% macro default__list_map(list, name, expression) %}list_transform({{ list }}, lambda {{ name }}: {{ expression }}){% endmacro %}
{% macro spark__list_map(list, name, expression) %}transform({{ list }}, {{ name }} -> {{ expression }}){% endmacro %}

{% macro list_size(list) -%}
    {{- return(adapter.dispatch('list_size', 'zhongcao')(list)) -}}
{%- endmacro %}
{% macro default__list_size(list) %}len({{ list }}){% endmacro %}
{% macro spark__list_size(list) %}size({{ list }}){% endmacro %}

{% macro list_at(list, position) -%}
    {{- return(adapter.dispatch('list_at', 'zhongcao')(list, position)) -}}
{%- endmacro %}
{% macro default__list_at(list, position) %}{{ list }}[{{ position }}]{% endmacro %}
{% macro spark__list_at(list, position) %}element_at({{ list }}, {{ position }}){% endmacro %}

{#- The elements from position `start` to the end. -#}
{% macro list_from(list, start) -%}
    {{- return(adapter.dispatch('list_from', 'zhongcao')(list, start)) -}}
{%- endmacro %}
{% macro default__list_from(list, start) %}list_slice({{ list }}, {{ start }}, -1){% endmacro %}
{% macro spark__list_from(list, start) %}slice({{ list }}, {{ start }}, size({{ list }}) - ({{ start }}) + 1){% endmacro %}

{#- The first `count` elements (none when count is 0). -#}
{% macro list_head(list, count) -%}
    {{- return(adapter.dispatch('list_head', 'zhongcao')(list, count)) -}}
{%- endmacro %}
{% macro default__list_head(list, count) %}list_slice({{ list }}, 1, {{ count }}){% endmacro %}
{% macro spark__list_head(list, count) %}slice({{ list }}, 1, {{ count }}){% endmacro %}

{#- Sum of the elements; `type` is the sum's type on engines that need one named. -#}
{% macro list_total(list, type) -%}
    {{- return(adapter.dispatch('list_total', 'zhongcao')(list, type)) -}}
{%- endmacro %}
{% macro default__list_total(list, type) %}list_sum({{ list }}){% endmacro %}
{% macro spark__list_total(list, type) -%}
    aggregate({{ list }}, cast(0 as {{ type }}), (total, value) -> cast(total + value as {{ type }}))
{%- endmacro %}

{% macro list_bit_or(list) -%}
    {{- return(adapter.dispatch('list_bit_or', 'zhongcao')(list)) -}}
{%- endmacro %}
{% macro default__list_bit_or(list) %}list_aggregate({{ list }}, 'bit_or'){% endmacro %}
{% macro spark__list_bit_or(list) %}aggregate({{ list }}, 0, (bits, value) -> bits | value){% endmacro %}

{#- The integers first..last as a list. -#}
{% macro int_list(first, last) -%}
    {{- return(adapter.dispatch('int_list', 'zhongcao')(first, last)) -}}
{%- endmacro %}
{% macro default__int_list(first, last) %}range({{ first }}, {{ last }} + 1){% endmacro %}
{% macro spark__int_list(first, last) %}sequence({{ first }}, {{ last }}){% endmacro %}

{% macro shift_left(value, bits) -%}
    {{- return(adapter.dispatch('shift_left', 'zhongcao')(value, bits)) -}}
{%- endmacro %}
{% macro default__shift_left(value, bits) %}({{ value }} << {{ bits }}){% endmacro %}
{% macro spark__shift_left(value, bits) %}shiftleft({{ value }}, {{ bits }}){% endmacro %}

{#- One row per value, in column `column` (a portable VALUES list). -#}
{% macro rows_of(values, column) -%}
    {%- for value in values %}
    select {{ value }} as {{ column }}{{ " union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro timestamp_from_epoch(seconds) -%}
    {{- return(adapter.dispatch('timestamp_from_epoch', 'zhongcao')(seconds)) -}}
{%- endmacro %}
{% macro default__timestamp_from_epoch(seconds) %}make_timestamp({{ seconds }} * 1000000){% endmacro %}
{% macro spark__timestamp_from_epoch(seconds) %}cast(timestamp_seconds({{ seconds }}) as timestamp){% endmacro %}

{#- The type of hash64's values. -#}
{% macro hash64_type() -%}
    {{- return(adapter.dispatch('hash64_type', 'zhongcao')()) -}}
{%- endmacro %}
{% macro default__hash64_type() %}ubigint{% endmacro %}
{% macro spark__hash64_type() %}bigint{% endmacro %}

{% macro list_of(items) -%}
    {{- return(adapter.dispatch('list_of', 'zhongcao')(items)) -}}
{%- endmacro %}
{% macro default__list_of(items) %}[{{ items | join(', ') }}]{% endmacro %}
{% macro spark__list_of(items) %}array({{ items | join(', ') }}){% endmacro %}

{#- One row per element of a list, in two halves: per_element(list, expression) in the select
    list gives `expression` of each element (named `element` in it), element_rows(list) after
    the FROM clause makes the rows on engines that need a join for that. DuckDB unnests in the
    select list, so several per_element() of one list stay in lockstep and the row's other
    columns are read where they lie; Spark explodes the list once with a lateral view. With
    `position`, element_position() is the element's position (from 1). -#}
{% macro per_element(list, expression) -%}
    {{- return(adapter.dispatch('per_element', 'zhongcao')(list, expression)) -}}
{%- endmacro %}
{% macro default__per_element(list, expression) -%}
    {%- if expression == 'element' -%}
        unnest({{ list }})
    {%- else -%}
        unnest(list_transform({{ list }}, lambda element: {{ expression }}))
    {%- endif -%}
{%- endmacro %}
{% macro spark__per_element(list, expression) %}{{ expression }}{% endmacro %}

{% macro element_position(list) -%}
    {{- return(adapter.dispatch('element_position', 'zhongcao')(list)) -}}
{%- endmacro %}
{% macro default__element_position(list) %}generate_subscripts({{ list }}, 1){% endmacro %}
{% macro spark__element_position(list) %}(element_index + 1){% endmacro %}

{% macro element_rows(list) -%}
    {{- return(adapter.dispatch('element_rows', 'zhongcao')(list)) -}}
{%- endmacro %}
{% macro default__element_rows(list) %}{% endmacro %}
{% macro spark__element_rows(list) %}lateral view posexplode({{ list }}) exploded_elements as element_index, element{% endmacro %}

{#- Whole days from `first_day` to `second_day` (dates). -#}
{% macro days_between(first_day, second_day) -%}
    {{- return(adapter.dispatch('days_between', 'zhongcao')(first_day, second_day)) -}}
{%- endmacro %}
{% macro default__days_between(first_day, second_day) %}date_diff('day', {{ first_day }}, {{ second_day }}){% endmacro %}
{% macro spark__days_between(first_day, second_day) %}datediff({{ second_day }}, {{ first_day }}){% endmacro %}

{#- Seconds from timestamp `first_at` to `second_at`. -#}
{% macro seconds_between(first_at, second_at) -%}
    {{- return(adapter.dispatch('seconds_between', 'zhongcao')(first_at, second_at)) -}}
{%- endmacro %}
{% macro default__seconds_between(first_at, second_at) %}date_diff('second', {{ first_at }}, {{ second_at }}){% endmacro %}
{% macro spark__seconds_between(first_at, second_at) %}(unix_timestamp({{ second_at }}) - unix_timestamp({{ first_at }})){% endmacro %}

{% macro text_type() -%}
    {{- return(adapter.dispatch('text_type', 'zhongcao')()) -}}
{%- endmacro %}
{% macro default__text_type() %}varchar{% endmacro %}
{% macro spark__text_type() %}string{% endmacro %}
