{#- Attribution works on one sortable HUGEINT per touch, its *element*:

      bits 88..121  epoch seconds of the touch (Shanghai wall time read as UTC)
      bits 84..87   channel_index (reference/attribution_channels.csv, 1..15)
      bits 64..83   cell_id: the touch's channel × campaign × note × creator (int_attribution__cells)
      bits  0..63   touchpoint_key (unique per touch)

    Sorting elements sorts touches by time with an exact, deterministic tie-break, and a
    sorted list of them per order is the order's whole conversion path: counts, first and
    last touch, decay weights and the cells to credit all come from that list, so the
    range join of orders to touchpoints runs once per build (shared/stack-facts.md). -#}

{% macro touch_element(event_at, channel_index, cell_id, touchpoint_key) -%}
    ((epoch({{ event_at }})::hugeint << 88)
        + ({{ channel_index }}::hugeint << 84)
        + ({{ cell_id }}::hugeint << 64)
        + {{ touchpoint_key }}::hugeint)
{%- endmacro %}

{% macro element_epoch(element) -%}
    cast({{ element }} >> 88 as bigint)
{%- endmacro %}

{% macro element_channel_index(element) -%}
    cast(({{ element }} >> 84) & 15 as integer)
{%- endmacro %}

{% macro element_cell_id(element) -%}
    cast(({{ element }} >> 64) & 1048575 as integer)
{%- endmacro %}

{% macro element_touchpoint_key(element) -%}
    cast({{ element }} & 18446744073709551615 as ubigint)
{%- endmacro %}

{#- Time-decay weight of a touch `age_seconds` before the payment (half-life var). -#}
{% macro decay_weight(age_seconds) -%}
    pow(0.5, ({{ age_seconds }}) / {{ var('time_decay_half_life_days') * 86400 }}.0)
{%- endmacro %}

{#- A share as a credit: DECIMAL(18,12). Every credit but the last touch's is rounded this
    way; the last touch takes the remainder, so an order's credits sum to exactly 1. -#}
{% macro credit_decimal(share) -%}
    cast(round({{ share }}, 12) as decimal(18, 12))
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
            else {{ credit_decimal(decay_weight('epoch(' ~ paid_at ~ ') - ' ~ element_epoch(element)) ~ ' / decay_sum') }}
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
            else {{ model }}_touch_credits[{{ element_channel_index(element) }}]
        end
    {%- endif -%}
{%- endmacro %}

{#- The list without consecutive repeats ([1, 1, 2, 1] -> [1, 2, 1]): each element paired with
    the one before it, kept when they differ. -#}
{% macro collapse_repeats(list) -%}
    list_transform(
        list_filter(list_zip({{ list }}, list_prepend(0, {{ list }}), true), lambda pair: pair[1] <> pair[2]),
        lambda pair: pair[1]
    )
{%- endmacro %}
