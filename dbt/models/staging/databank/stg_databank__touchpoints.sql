with source as (
    select * from {{ source('databank', 'touchpoints') }}
),

renamed as (
    select
        oneid,
        platform,
        event,
        case event
            when '曝光' then 'impression'
            when '互动' then 'engagement'
            when '点击' then 'click'
            when '搜索' then 'search'
            when '进店' then 'store_visit'
            when '加购' then 'add_to_cart'
        end as event_stage,
        ts,
        campaign_id,
        note_id,
        creator_id,
        click_id,
        cast(ts as date) as ts_date,
        _source_file as source_file
    from source
)

select * from renamed
