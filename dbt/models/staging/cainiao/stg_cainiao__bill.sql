with source as (
    select * from {{ source('cainiao', 'bill') }}
),

renamed as (
    select
        waybill_no,
        order_id,
        picked_up_at,
        signed_at,
        weight_kg,
        freight,
        destination_province,
        cast(picked_up_at as date) as picked_up_date,
        _source_file as source_file
    from source
)

select * from renamed
