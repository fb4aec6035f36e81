with source as (
    select * from {{ source('douyin', 'shop_orders') }}
),

renamed as (
    select
        order_id,
        sub_order_id,
        product_id,
        quantity,
        submitted_at,
        paid_at,
        payable_amount,
        platform_discount,
        merchant_discount,
        creator_nickname,
        traffic_source,
        order_status,
        cast(submitted_at as date) as submitted_date,
        _source_file as source_file
    from source
)

select * from renamed
