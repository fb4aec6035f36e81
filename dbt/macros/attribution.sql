{#- Attribution works on one sortable HUGEINT per touch, its *element*:

      bits 88..121  epoch seconds of the touch (Shanghai wall time read as UTC)
      bits 84..87   channel_index (reference/attribution_channels.csv, 1..15)
      bits 64..83   cell_id: the touch's channel × campaign × note × creator (int_attribution__cells)
      bits  0..63   touchpoint_key (unique per touch)

    Sorting elements sorts touches by time with an exact, deterministic tie-break, and a
    sorted list of them per order is the order's whole conversion path: counts, first and
    last touch, decay weights and the cells to credit all come from that list, so the
    range join of orders to touchpoints runs once per build (shared/stack-facts.md). -#}

{#- On Spark, which has no 128-bit integer, an element is a struct of the same four fields in
    the same order: it sorts the same way and is read by name. -#}
{% macro touch_element(event_at, channel_index, cell_id, touchpoint_key) -%}
    {{- return(adapter.dispatch('touch_element', 'zhongcao')(event_at, channel_index, cell_id, touchpoint_key)) -}}
{%- endmacro %}

{% macro default__touch_element(event_at, channel_index, cell_id, touchpoint_key) -%}
    ((epoch({{ event_at }})::hugeint << 88)
        + ({{ channel_index }}::hugeint << 84)
        + ({{ cell_id }}::hugeint << 64)
        + {{ touchpoint_key }}::hugeint)
{%- endmacro %}

{% macro spark__touch_element(event_at, channel_index, cell_id, touchpoint_key) -%}
    named_struct(
        'epoch', unix_timestamp({{ event_at }}), 'channel_index', {{ channel_index }},
        'cell_id', {{ cell_id }}, 'touchpoint_key', {{ touchpoint_key }}
    )
{%- endmacro %}

{% macro element_epoch(element) -%}
    {{- return(adapter.dispatch('element_epoch', 'zhongcao')(element)) -}}
{%- endmacro %}
{% macro default__element_epoch(element) %}cast({{ element }} >> 88 as bigint){% endmacro %}
{% macro spark__element_epoch(element) %}({{ element }}).epoch{% endmacro %}

{% macro element_channel_index(element) -%}
    {{- return(adapter.dispatch('element_channel_index', 'zhongcao')(element)) -}}
{%- endmacro %}
{% macro default__element_channel_index(element) %}cast(({{ element }} >> 84) & 15 as integer){% endmacro %}
{% macro spark__element_channel_index(element) %}({{ element }}).channel_index{% endmacro %}

{% macro element_cell_id(element) -%}
    {{- return(adapter.dispatch('element_cell_id', 'zhongcao')(element)) -}}
{%- endmacro %}
{% macro default__element_cell_id(element) %}cast(({{ element }} >> 64) & 1048575 as integer){% endmacro %}
{% macro spark__element_cell_id(element) %}({{ element }}).cell_id{% endmacro %}

{% macro element_touchpoint_key(element) -%}
    {{- return(adapter.dispatch('element_touchpoint_key', 'zhongcao')(element)) -}}
{%- endmacro %}
{% macro default__element_touchpoint_key(element) %}cast({{ element }} & 18446744073709551615 as ubigint){% endmacro %}
{% macro spark__element_touchpoint_key(element) %}({{ element }}).touchpoint_key{% endmacro %}

{#- Whether a touch's element lies at or after / at or before the second of `timestamp`:
    the range join's bounds, read off the element so the touches table need not store its
    time twice (on DuckDB a comparison of whole elements with the bound's element). -#}
{% macro element_not_before(element, timestamp) -%}
    {{- return(adapter.dispatch('element_not_before', 'zhongcao')(element, timestamp)) -}}
{%- endmacro %}
{% macro default__element_not_before(element, timestamp) %}{{ element }} >= ({{ epoch_seconds(timestamp) }}::hugeint << 88){% endmacro %}
{% macro spark__element_not_before(element, timestamp) %}{{ element_epoch(element) }} >= {{ epoch_seconds(timestamp) }}{% endmacro %}

{% macro element_not_after(element, timestamp) -%}
    {{- return(adapter.dispatch('element_not_after', 'zhongcao')(element, timestamp)) -}}
{%- endmacro %}
{% macro default__element_not_after(element, timestamp) %}{{ element }} < (({{ epoch_seconds(timestamp) }}::hugeint + 1) << 88){% endmacro %}
{% macro spark__element_not_after(element, timestamp) %}{{ element_epoch(element) }} <= {{ epoch_seconds(timestamp) }}{% endmacro %}

{#- Time-decay weight of a touch `age_seconds` before the payment (half-life var). -#}
{% macro decay_weight(age_seconds) -%}
    pow(0.5, cast({{ age_seconds }} as double) / {{ var('time_decay_half_life_days') * 86400 }})
{%- endmacro %}

{#- A share as a credit: DECIMAL(18,12). Every credit but the last touch's is rounded this
    way; the last touch takes the remainder, so an order's credits sum to exactly 1. Rounded
    half up in plain double arithmetic (safe_ratio.sql), which every engine does alike: the
    engines' round() functions differ on values a double holds only approximately. -#}
{% macro credit_decimal(share) -%}
    {{ round_half_up('cast(' ~ share ~ ' as double)', 12) }}
{%- endmacro %}

{#- The same rounding as whole units of 10^-12 (BIGINT), which add up faster than DECIMALs, and
    a sum of such units back as a credit (exact: a path's credits never exceed 10^12 units). -#}
{% macro credit_units(share) -%}
    cast({{ units_half_up('cast(' ~ share ~ ' as double)', 12) }} as bigint)
{%- endmacro %}

{% macro credit_from_units(units) -%}
    cast(cast({{ units }} as decimal(18, 0)) * 0.000000000001 as decimal(24, 12))
{%- endmacro %}

{% macro attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'markov', 'shapley']) }}
{%- endmacro %}

{#- The credit of touch `element` under `model`, given the columns of
    int_attribution__path_credits for the touch's order and window. -#}
{% macro touch_credit(model, element, paid_at) -%}
    cast({{ touch_credit_value(model, element, paid_at) }} as decimal(18, 12))
{%- endmacro %}

{% macro touch_credit_value(model, element, paid_at) -%}
    {%- set is_last = element ~ ' = last_element' -%}
    {%- if model == 'first_touch' -%}
        case when {{ element }} = first_element then 1 else 0 end
    {%- elif model == 'last_touch' -%}
        case when {{ is_last }} then 1 else 0 end
    {%- elif model == 'linear' -%}
        case when {{ is_last }} then linear_last_credit else linear_touch_credit end
    {%- elif model == 'time_decay' -%}
        case
            when {{ is_last }} then 1 - decay_head_credit_sum
            else {{ credit_decimal(decay_weight(epoch_seconds(paid_at) ~ ' - ' ~ element_epoch(element)) ~ ' / decay_sum') }}
        end
    {%- elif model == 'position_based' -%}
        case
            when touch_count = 1 then 1
            when touch_count = 2 then 0.5
            when {{ element }} = first_element then 0.4
            when {{ is_last }} then position_last_credit
            else position_middle_credit
        end
    {%- else -%}
        case
            when {{ is_last }} then {{ model }}_last_credit
            else {{ list_at(model ~ '_touch_credits', element_channel_index(element)) }}
        end
    {%- endif -%}
{%- endmacro %}

{#- The list without consecutive repeats ([1, 1, 2, 1] -> [1, 2, 1]): each element kept when it
    differs from the one before it; no list gives the empty list. `list` is a column: the lambda
    reads it by position. sqlfluff cannot parse DuckDB's two-argument lambda, hence the
    `-- noqa: PRS` on the lines that call this. -#}
{% macro collapse_repeats(list) -%}
    {{- return(adapter.dispatch('collapse_repeats', 'zhongcao')(list)) -}}
{%- endmacro %}

{% macro default__collapse_repeats(list) -%}
    coalesce(list_filter({{ list }}, lambda element, i: i = 1 or element <> {{ list }}[i - 1]), [])
{%- endmacro %}

{#- Positions 1..n kept where the element differs from the one before (sequence(1, 0) counts
    down, hence the bound in the filter). -#}
{% macro spark__collapse_repeats(list) -%}
    transform(
        filter(
            sequence(1, greatest(size({{ list }}), 1)),
            i -> i <= size({{ list }}) and (i = 1 or element_at({{ list }}, i) <> element_at({{ list }}, greatest(i - 1, 1)))
        ),
        i -> element_at({{ list }}, i)
    )
{%- endmacro %}

{#- Touches per channel (a list of 15 counts, channel_index 1..15) of a path's channel_indexes,
    in two steps: columns of the `counted` CTE, then channel_touch_counts() reading them.
    DuckDB packs the counts into HUGEINTs summed in one pass over the path (a map lookup per
    channel costs ten times more at this size): 8 bits per channel in one HUGEINT when the
    path has fewer than 256 touches (nearly all), else 16 bits in two; Spark counts each
    channel. -#}
{% macro channel_count_columns(channel_indexes, touch_count) -%}
    {{- return(adapter.dispatch('channel_count_columns', 'zhongcao')(channel_indexes, touch_count)) -}}
{%- endmacro %}

{% macro default__channel_count_columns(channel_indexes, touch_count) -%}
    case when {{ touch_count }} < 256 then list_sum(list_transform(
        {{ channel_indexes }}, lambda c: cast(1 as hugeint) << (8 * (c - 1))
    )) end as packed_bytes,
    case when {{ touch_count }} >= 256 then list_sum(list_transform(
        {{ channel_indexes }}, lambda c: case when c <= 7 then cast(1 as hugeint) << (16 * (c - 1)) else cast(0 as hugeint) end
    )) end as packed_low,
    case when {{ touch_count }} >= 256 then list_sum(list_transform(
        {{ channel_indexes }}, lambda c: case when c > 7 then cast(1 as hugeint) << (16 * (c - 8)) else cast(0 as hugeint) end
    )) end as packed_high
{%- endmacro %}

{% macro spark__channel_count_columns(channel_indexes, touch_count) -%}
    transform(sequence(1, 15), i -> size(filter({{ channel_indexes }}, c -> c = i))) as channel_counts
{%- endmacro %}

{% macro channel_touch_counts() -%}
    {{- return(adapter.dispatch('channel_touch_counts', 'zhongcao')()) -}}
{%- endmacro %}

{% macro default__channel_touch_counts() -%}
    case
        when packed_bytes is not null
            then list_transform(range(1, 16), lambda i: cast((packed_bytes >> (8 * (i - 1))) & 255 as integer))
        else list_transform(
            range(1, 16),
            lambda i: cast(
                case when i <= 7 then (packed_low >> (16 * (i - 1))) & 65535 else (packed_high >> (16 * (i - 8))) & 65535 end
                as integer
            )
        )
    end
{%- endmacro %}

{% macro spark__channel_touch_counts() %}channel_counts{% endmacro %}
