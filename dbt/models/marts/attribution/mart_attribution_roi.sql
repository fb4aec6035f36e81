{%- set keys = ['date_day', 'channel', 'campaign_id', 'note_id', 'creator_id'] -%}
-- Spend beside attributed results per day × channel × campaign × note × creator, per model and
-- window: what each yuan of ads, creator fees and 小红星 service fees returned.
with spend as (
    select * from {{ ref('int_marketing__daily_spend') }}
),

attributed as (
    select * from {{ ref('mart_attribution_daily') }}
),

models as (
    select distinct
        attribution_model,
        window_days,
        is_default_window
    from attributed
),

spend_per_model as (
    select
        spend.*,
        models.attribution_model,
        models.window_days,
        models.is_default_window
    from spend
    cross join models
),

joined as (
    select
        {%- for key in keys %}
            coalesce(spend_per_model.{{ key }}, attributed.{{ key }}) as {{ key }},
        {%- endfor %}
        coalesce(spend_per_model.attribution_model, attributed.attribution_model) as attribution_model,
        coalesce(spend_per_model.window_days, attributed.window_days) as window_days,
        coalesce(spend_per_model.is_default_window, attributed.is_default_window) as is_default_window,
        cast(coalesce(spend_per_model.spend, 0) as decimal(18, 2)) as spend,
        cast(coalesce(attributed.attributed_orders, 0) as decimal(18, 12)) as attributed_orders,
        cast(coalesce(attributed.attributed_new_buyers, 0) as decimal(18, 12)) as attributed_new_buyers,
        cast(coalesce(attributed.attributed_gmv, 0) as decimal(18, 2)) as attributed_gmv,
        cast(coalesce(attributed.attributed_net_revenue, 0) as decimal(18, 2)) as attributed_net_revenue,
        cast(coalesce(attributed.attributed_cm2, 0) as decimal(18, 2)) as attributed_cm2
    from spend_per_model
    full outer join attributed
        on
            spend_per_model.attribution_model = attributed.attribution_model
            and spend_per_model.window_days = attributed.window_days
            {%- for key in keys %}
                and spend_per_model.{{ key }} is not distinct from attributed.{{ key }}
            {%- endfor %}
),

final as (
    select
        *,
        {{ safe_ratio('attributed_gmv', 'spend', 4) }} as platform_roi,
        {{ safe_ratio('attributed_net_revenue', 'spend', 4) }} as net_roas,
        {{ safe_ratio('attributed_cm2', 'spend', 4) }} as profit_roi,
        {{ safe_ratio('spend', 'attributed_new_buyers', 2) }} as cac
    from joined
)

select * from final
