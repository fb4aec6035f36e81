with source as (
    select * from {{ source('douyin', 'qianchuan_ads') }}
),

renamed as (
    select
        date,
        campaign_id,
        campaign_name,
        spend,
        impressions,
        clicks,
        claimed_orders,
        claimed_gmv,
        claimed_roi,
        _source_file as source_file
    from source
)

select * from renamed
