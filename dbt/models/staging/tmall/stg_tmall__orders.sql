with source as (
    select * from {{ source('tmall', 'orders') }}
),

renamed as (
    select
        order_id,
        buyer_oneid,
        buyer_nick as buyer_nick_hash,
        receiver_name as receiver_name_hash,
        receiver_phone as receiver_phone_hash,
        receiver_province,
        status as order_status,
        gmv,
        paid_amount,
        platform_discount,
        merchant_discount,
        created_at as order_created_at,
        paid_at,
        cast(created_at as date) as order_date,
        cast(paid_at as date) as paid_date,
        paid_at is not null as is_paid,
        payment_method,
        carrier,
        waybill_no,
        source as traffic_source,
        click_id,
        _source_file as source_file
    from source
)

select * from renamed
