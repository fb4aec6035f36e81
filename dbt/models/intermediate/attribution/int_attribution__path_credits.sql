{%- set path_columns = [
    'store', 'order_id', 'paid_at', 'paid_date', 'window_days', 'is_default_window', 'first_position',
    'touch_count', 'first_element', 'last_element', 'last_channel_index', 'decay_sum', 'decay_head_credit_sum',
    'channel_touch_counts',
] -%}
-- Per conversion path (order × window): what each model gives a touch, read by position or
-- channel, and what the last touch gets so that the credits sum to exactly 1 (the last touch
-- takes the remainder of the rounded shares). Markov and Shapley spread a channel's weight
-- (int_attribution__data_driven_weights, for the path's channel set) evenly over its touches.
with paths as (
    select * from {{ ref('int_attribution__paths') }}
),

weights as (
    select
        window_days,
        attribution_model,
        channel_set_mask,
        -- position i holds the weight of channel_index i (0 for channels outside the set)
        {%- set weight_of_channel = [] %}
        {%- for i in range(1, 16) %}
            {%- do weight_of_channel.append('coalesce(max(weight) filter (where channel_index = ' ~ i ~ '), 0)') %}
        {%- endfor %}
        {{ list_of(weight_of_channel) }} as channel_weights
    from {{ ref('int_attribution__data_driven_weights') }}
    group by all
),

with_weights as (
    select
        {%- for column in path_columns %}
            paths.{{ column }},
        {%- endfor %}
        markov.channel_weights as markov_weights,
        shapley.channel_weights as shapley_weights
    from
        paths
    {%- for model in ['markov', 'shapley'] %}
        left join weights as {{ model }}
            on
                {{ model }}.attribution_model = '{{ model }}'
                and paths.window_days = {{ model }}.window_days
                and paths.channel_set_mask = {{ model }}.channel_set_mask
    {%- endfor %}
),

spread as (
    select
        {%- for column in path_columns %}
            {{ column }},
        {%- endfor %}
    {%- for model in ['markov', 'shapley'] %}
        {%- set count_i = list_at('channel_touch_counts', 'i') %}
        {%- set touch_credit_i = 'case when ' ~ count_i ~ ' > 0 then '
            ~ credit_decimal(list_at(model ~ '_weights', 'i') ~ ' / ' ~ count_i)
            ~ ' else cast(0 as decimal(18, 12)) end' %}
        {{ list_map(int_list(1, 15), 'i', touch_credit_i) }} as {{ model }}_touch_credits{{ "," if not loop.last }}
    {%- endfor %}
    from with_weights
),

final as (
    select
        {%- for column in path_columns %}
            {{ column }},
        {%- endfor %}
        markov_touch_credits,
        shapley_touch_credits,
        {{ credit_decimal('1.0 / touch_count') }} as linear_touch_credit,
        1 - (touch_count - 1) * {{ credit_decimal('1.0 / touch_count') }} as linear_last_credit,
        case when touch_count > 2 then {{ credit_decimal('0.2 / (touch_count - 2)') }} end as position_middle_credit,
        case
            when touch_count > 2 then 1 - 0.4 - (touch_count - 2) * {{ credit_decimal('0.2 / (touch_count - 2)') }}
        end as position_last_credit,
    {%- for model in ['markov', 'shapley'] %}
        1 - (
            {{ list_total(
                list_map(int_list(1, 15), 'i', list_at('channel_touch_counts', 'i') ~ ' * ' ~ list_at(model ~ '_touch_credits', 'i')),
                'decimal(24, 12)'
            ) }}
            - {{ list_at(model ~ '_touch_credits', 'last_channel_index') }}
        ) as {{ model }}_last_credit{{ "," if not loop.last }}
    {%- endfor %}
    from spread
)

select * from final
