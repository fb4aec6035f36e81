with source as (
    select * from {{ source('alimama', 'ads') }}
),

renamed as (
    select
        date,
        campaign_id,
        spend,
        impressions,
        clicks,
        claimed_gmv,
        _source_file as source_file
    from source
)

select * from renamed
