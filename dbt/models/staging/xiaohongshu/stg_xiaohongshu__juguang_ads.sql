with source as (
    select * from {{ source('xiaohongshu', 'juguang_ads') }}
),

renamed as (
    select
        date as report_date,
        campaign_id,
        campaign_name,
        unit_id,
        creative_id,
        note_id,
        case placement when '信息流' then 'feed' when '搜索' then 'search' end as placement,
        spend,
        impressions,
        reach,
        clicks,
        engagements,
        likes,
        collects,
        comments,
        shares,
        follows,
        dm_inquiries,
        search_back_rate,
        _source_file as source_file
    from source
)

select * from renamed
