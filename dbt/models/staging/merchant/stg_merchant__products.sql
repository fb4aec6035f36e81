with source as (
    select * from {{ source('merchant', 'products') }}
),

renamed as (
    select
        sku_id,
        product_id,
        product_name,
        category,
        unit_cost,
        list_price,
        _source_file as source_file
    from source
)

select * from renamed
