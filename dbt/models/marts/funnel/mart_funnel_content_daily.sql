{%- set grain = 'date_day, platform, campaign_id, note_id, creator_id' -%}
-- The funnel without the category split: seeding and order stages on one row, so every rate
-- (conversion and repurchase included) can be read per piece of content.
with measures as (
    select
        {{ grain }},
        any_value(campaign_name) as campaign_name,
    {%- for name in funnel_measure_names() %}
        sum({{ name }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ ref('int_funnel__daily_measures') }}
    group by {{ grain }}
),

final as (
    select
        {{ funnel_columns(with_category=false) }}
    from measures as m
)

select * from final
