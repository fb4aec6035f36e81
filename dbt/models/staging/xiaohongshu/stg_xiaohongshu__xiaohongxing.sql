with source as (
    select * from {{ source('xiaohongshu', 'xiaohongxing') }}
),

renamed as (
    select
        date,
        note_id,
        campaign_id,
        jump_clicks,
        store_visitors,
        cart_adders,
        claimed_orders,
        claimed_gmv,
        _source_file as source_file
    from source
)

select * from renamed
