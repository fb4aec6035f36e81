with source as (
    select * from {{ source('bilibili', 'ads') }}
),

renamed as (
    select
        date,
        campaign_id,
        campaign_name,
        spend,
        impressions,
        clicks,
        engagements,
        _source_file as source_file
    from source
)

select * from renamed
