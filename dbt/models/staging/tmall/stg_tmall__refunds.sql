with source as (
    select * from {{ source('tmall', 'refunds') }}
),

renamed as (
    select
        refund_id,
        order_id,
        requested_at,
        finished_at,
        refund_amount,
        goods_returned,
        refund_status,
        reason,
        cast(requested_at as date) as requested_date,
        _source_file as source_file
    from source
)

select * from renamed
