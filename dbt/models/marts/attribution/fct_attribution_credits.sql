{%- set credit_models = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'markov', 'shapley'] -%}
-- Credit of every touch of every paid order under every attribution model and lookback
-- window. Credits of an order sum to exactly 1 per model and window, and attributed money
-- sums to the order's money to the cent: rounding remainders go to the order's last row.
with paths as (
    select * from {{ ref('int_attribution__paths') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_paid
),

weights as (
    select * from {{ ref('int_attribution__data_driven_weights') }}
),

windows as (
    select distinct window_days from paths
    union
    {%- for days in var('attribution_windows') %}
        select {{ days }} as window_days{{ " union" if not loop.last }}
    {%- endfor %}
),

channel_sets as (
    select
        store,
        order_id,
        window_days,
        string_agg(distinct channel, '|' order by channel) as channel_set
    from paths
    group by all
),

channel_touches as (
    select
        store,
        order_id,
        window_days,
        channel,
        count(*) as channel_touch_count
    from paths
    group by all
),

decay as (
    select
        store,
        order_id,
        window_days,
        touchpoint_key,
        pow(0.5, days_before_payment / {{ var('time_decay_half_life_days') }}) as decay_weight
    from paths
),

raw_credits as (
    select
        paths.*,
        case when paths.touch_number = 1 then 1.0 else 0.0 end as first_touch,
        case when paths.touch_number = paths.touch_count then 1.0 else 0.0 end as last_touch,
        1.0 / paths.touch_count as linear,
        decay.decay_weight / sum(decay.decay_weight) over (
            partition by paths.store, paths.order_id, paths.window_days
        ) as time_decay,
        case
            when paths.touch_count = 1 then 1.0
            when paths.touch_count = 2 then 0.5
            when paths.touch_number in (1, paths.touch_count) then 0.4
            else 0.2 / (paths.touch_count - 2)
        end as position_based,
        markov.weight / channel_touches.channel_touch_count as markov,
        shapley.weight / channel_touches.channel_touch_count as shapley
    from paths
    inner join decay
        on
            paths.store = decay.store
            and paths.order_id = decay.order_id
            and paths.window_days = decay.window_days
            and paths.touchpoint_key = decay.touchpoint_key
    inner join channel_sets
        on
            paths.store = channel_sets.store
            and paths.order_id = channel_sets.order_id
            and paths.window_days = channel_sets.window_days
    inner join channel_touches
        on
            paths.store = channel_touches.store
            and paths.order_id = channel_touches.order_id
            and paths.window_days = channel_touches.window_days
            and paths.channel = channel_touches.channel
    left join weights as markov
        on
            markov.attribution_model = 'markov'
            and paths.window_days = markov.window_days
            and channel_sets.channel_set = markov.channel_set
            and paths.channel = markov.channel
    left join weights as shapley
        on
            shapley.attribution_model = 'shapley'
            and paths.window_days = shapley.window_days
            and channel_sets.channel_set = shapley.channel_set
            and paths.channel = shapley.channel
),

touch_credits as (
    {%- for credit_model in credit_models %}
        select
            store,
            order_id,
            window_days,
            '{{ credit_model }}' as attribution_model,
            touchpoint_key,
            channel,
            event_stage,
            campaign_id,
            note_id,
            creator_id,
            event_at,
            touch_number,
            touch_count,
            cast(round({{ credit_model }}, 12) as decimal(18, 12)) as rounded_credit
        from raw_credits
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- Orders with no touch in the window are credited in full to an explicit bucket.
direct_credits as (
    {%- for credit_model in credit_models %}
        select
            orders.store,
            orders.order_id,
            windows.window_days,
            '{{ credit_model }}' as attribution_model,
            cast(null as varchar) as touchpoint_key,
            'direct_or_organic' as channel,
            cast(null as varchar) as event_stage,
            cast(null as varchar) as campaign_id,
            cast(null as varchar) as note_id,
            cast(null as varchar) as creator_id,
            cast(null as timestamp) as event_at,
            1 as touch_number,
            1 as touch_count,
            cast(1 as decimal(18, 12)) as rounded_credit
        from orders
        cross join windows
        where
            not exists (
                select 1 from paths
                where
                    paths.store = orders.store
                    and paths.order_id = orders.order_id
                    and paths.window_days = windows.window_days
            )
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

all_credits as (
    select * from touch_credits
    union all
    select * from direct_credits
),

exact as (
    select
        all_credits.*,
        orders.paid_at,
        orders.paid_date,
        orders.gmv,
        orders.paid_amount,
        orders.net_revenue,
        case
            when all_credits.touch_number = all_credits.touch_count
                then 1 - coalesce(sum(all_credits.rounded_credit) over order_rows_before, 0)
            else all_credits.rounded_credit
        end as credit
    from all_credits
    inner join orders on all_credits.store = orders.store and all_credits.order_id = orders.order_id
    window order_rows_before as (
        partition by all_credits.store, all_credits.order_id, all_credits.window_days, all_credits.attribution_model
        order by all_credits.touch_number
        rows between unbounded preceding and 1 preceding
    )
),

{%- set money = ['gmv', 'paid_amount', 'net_revenue'] %}

final as (
    select
        store,
        order_id,
        window_days,
        window_days = {{ var('attribution_default_window') }} as is_default_window,
        attribution_model,
        touchpoint_key,
        touch_number,
        touch_count,
        channel,
        event_stage,
        campaign_id,
        note_id,
        creator_id,
        event_at,
        paid_at,
        paid_date,
        cast(credit as decimal(18, 12)) as credit,
    {%- for measure in money %}
        cast(
            case
                when touch_number = touch_count
                    then {{ measure }} - coalesce(sum(round({{ measure }} * credit, 2)) over rows_before, 0)
                else round({{ measure }} * credit, 2)
            end as decimal(18, 2)
        ) as attributed_{{ measure }}{{ "," if not loop.last }}
    {%- endfor %}
    from exact
    window rows_before as (
        partition by store, order_id, window_days, attribution_model
        order by touch_number
        rows between unbounded preceding and 1 preceding
    )
)

select * from final
