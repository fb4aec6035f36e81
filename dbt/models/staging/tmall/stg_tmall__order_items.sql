with source as (
    select * from {{ source('tmall', 'order_items') }}
),

renamed as (
    select
        order_id,
        product_id,
        sku_id,
        title,
        unit_price,
        quantity,
        merchant_code,
        _source_file as source_file
    from source
)

select * from renamed
