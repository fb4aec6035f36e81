{{ config(materialized='table') }}
-- The funnel's measures per day × platform × campaign × note × creator × category, from what
-- each platform reported and what our own events and orders show. Rates come in the marts.

{%- set grain = 'date_day, platform, campaign_id, note_id, creator_id, category' %}
with touchpoint_measures as (
    select * from {{ ref('int_funnel__daily_touchpoint_measures') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

juguang as (
    select * from {{ ref('stg_xiaohongshu__juguang_ads') }}
),

notes as (
    select * from {{ ref('stg_xiaohongshu__note_daily') }}
),

xiaohongxing as (
    select * from {{ ref('stg_xiaohongshu__xiaohongxing') }}
),

collabs as (
    select * from {{ ref('stg_xiaohongshu__pugongying_orders') }}
),

{#- Campaign-level ad reports: (platform, staging model, columns it has beyond the common ones) -#}
{%- set campaign_reports = [
    ('douyin', 'stg_douyin__qianchuan_ads', ['campaign_name', 'claimed_orders', 'claimed_gmv']),
    ('weibo', 'stg_weibo__ads', ['campaign_name', 'engagements']),
    ('bilibili', 'stg_bilibili__ads', ['campaign_name', 'engagements']),
    ('zhihu', 'stg_zhihu__ads', ['campaign_name', 'engagements']),
    ('alimama', 'stg_alimama__ads', ['claimed_gmv']),
] %}

campaign_ads as (
    {%- for platform, model, extra in campaign_reports %}
        select
            '{{ platform }}' as platform,
            date,
            campaign_id,
            spend,
            impressions,
            clicks,
        {%- for optional in ['campaign_name', 'engagements', 'claimed_orders', 'claimed_gmv'] %}
            {{ optional if optional in extra else 'null' }} as {{ optional }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ ref(model) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- Which campaign or creator a Xiaohongshu note belongs to: 聚光 creatives name their note,
-- 蒲公英 collaborations name the creator's note; the rest are the brand's organic notes.
xhs_note_owners as (
    select distinct
        note_id,
        campaign_id,
        null as creator_id
    from juguang
    union
    select distinct
        note_id,
        null as campaign_id,
        creator_id
    from collabs
),

reported_xhs_ads as (
    select
        report_date as date_day,
        'xiaohongshu' as platform,
        campaign_id,
        note_id,
        null as creator_id,
        'all' as category,
        {{ funnel_measures({
            'spend': 'sum(spend)',
            'reported_impressions': 'sum(impressions)',
            'reported_engagements': 'sum(engagements)',
            'reported_clicks': 'sum(clicks)',
            'reported_search_backs': 'sum(search_back_rate * impressions)',
        }) }}
    from juguang
    group by all
),

-- Notes outside 聚光 (organic and creator notes): reach and interactions from the
-- professional-account note report; jump clicks come from 小红星 below.
reported_xhs_notes as (
    select
        notes.date as date_day,
        'xiaohongshu' as platform,
        null as campaign_id,
        notes.note_id,
        owners.creator_id,
        'all' as category,
        {{ funnel_measures({
            'reported_impressions': 'sum(notes.impressions)',
            'reported_engagements': 'sum(notes.likes + notes.collects + notes.comments + notes.shares + notes.new_followers)',
        }) }}
    from notes
    left join xhs_note_owners as owners on notes.note_id = owners.note_id
    where owners.campaign_id is null
    group by all
),

reported_xiaohongxing as (
    select
        xhx.date as date_day,
        'xiaohongshu' as platform,
        owners.campaign_id,
        xhx.note_id,
        owners.creator_id,
        'all' as category,
        {{ funnel_measures({
            'reported_clicks': 'sum(xhx.jump_clicks) filter (where owners.campaign_id is null)',
            'reported_store_visitors': 'sum(xhx.store_visitors)',
            'reported_cart_adders': 'sum(xhx.cart_adders)',
            'reported_orders': 'sum(xhx.claimed_orders)',
            'reported_gmv': 'sum(xhx.claimed_gmv)',
        }) }}
    from xiaohongxing as xhx
    left join xhs_note_owners as owners on xhx.note_id = owners.note_id
    group by all
),

reported_collab_fees as (
    select
        published_date as date_day,
        'xiaohongshu' as platform,
        null as campaign_id,
        note_id,
        creator_id,
        'all' as category,
        {{ funnel_measures({'spend': 'sum(fee + platform_fee)'}) }}
    from collabs
    group by all
),

reported_campaign_ads as (
    select
        date as date_day,
        platform,
        campaign_id,
        null as note_id,
        null as creator_id,
        'all' as category,
        {{ funnel_measures({
            'spend': 'sum(spend)',
            'reported_impressions': 'sum(impressions)',
            'reported_engagements': 'sum(engagements)',
            'reported_clicks': 'sum(clicks)',
            'reported_orders': 'sum(claimed_orders)',
            'reported_gmv': 'sum(claimed_gmv)',
        }) }}
    from campaign_ads
    group by all
),

observed_touchpoints as (
    select
        date_day,
        platform,
        campaign_id,
        note_id,
        creator_id,
        'all' as category,
        {{ funnel_measures({
            'impressions': 'impressions',
            'engagements': 'engagements',
            'clicks': 'clicks',
            'store_visits': 'store_visits',
            'store_visitors': 'store_visitors',
            'add_to_carts': 'add_to_carts',
            'brand_searches': 'brand_searches',
        }) }}
    from touchpoint_measures
),

observed_orders_placed as (
    select
        order_date as date_day,
        order_channel as platform,
        campaign_id,
        note_id,
        creator_id,
        category,
        {{ funnel_measures({'orders_placed': 'count(*)', 'gmv_placed': 'sum(gmv)'}) }}
    from orders
    group by all
),

-- Payment-side measures by the day the order was paid; refunds belong to the paid day of
-- their order, so refunds never exceed what was paid on the same row.
-- First one row per row of the grain × buyer, then buyers are counted as rows: three distinct
-- counts over every paid order took twice as long. A buyer without a person is their order.
paid_by_buyer as (
    select
        paid_date as date_day,
        order_channel as platform,
        campaign_id,
        note_id,
        creator_id,
        category,
        person_key,
        case when person_key is null then store || ':' || order_id end as order_as_buyer,
        count(*) as orders_paid,
        sum(paid_amount) as paid_amount,
        count(*) filter (where is_delivered) as orders_delivered,
        count(*) filter (where refund_amount > 0) as refunded_orders,
        sum(refund_amount) as refund_amount,
        sum(net_revenue) as net_revenue,
        coalesce(bool_or(is_conversion), false) as converted,
        count(*) filter (where is_repurchase) as repurchase_orders
    from orders
    where is_paid
    group by all
),

observed_orders_paid as (
    select
        {{ grain }},
        {{ funnel_measures({
            'orders_paid': 'sum(orders_paid)',
            'paying_buyers': 'count(*)',
            'paid_amount': 'sum(paid_amount)',
            'orders_delivered': 'sum(orders_delivered)',
            'refunded_orders': 'sum(refunded_orders)',
            'refund_amount': 'sum(refund_amount)',
            'net_revenue': 'sum(net_revenue)',
            'buyers': 'count(*) filter (where person_key is not null and converted)',
            'repurchase_orders': 'sum(repurchase_orders)',
            'repurchasers': 'count(*) filter (where person_key is not null and repurchase_orders > 0)',
        }) }}
    from paid_by_buyer
    group by {{ grain }}
),

stacked as (
    select * from reported_xhs_ads
    union all
    select * from reported_xhs_notes
    union all
    select * from reported_xiaohongxing
    union all
    select * from reported_collab_fees
    union all
    select * from reported_campaign_ads
    union all
    select * from observed_touchpoints
    union all
    select * from observed_orders_placed
    union all
    select * from observed_orders_paid
),

summed as (
    select
        {{ grain }},
    {%- for name in funnel_measure_names() %}
        sum({{ name }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
    from stacked
    group by {{ grain }}
),

campaign_names as (
    select
        'xiaohongshu' as platform,
        campaign_id,
        any_value(campaign_name) as campaign_name
    from juguang
    group by all
    union all
    select
        platform,
        campaign_id,
        any_value(campaign_name) as campaign_name
    from campaign_ads
    where campaign_name is not null
    group by all
),

final as (
    select
        summed.*,
        campaign_names.campaign_name
    from summed
    left join campaign_names
        on summed.platform = campaign_names.platform and summed.campaign_id = campaign_names.campaign_id
)

select * from final
