with source as (
    select * from {{ source('wechatpay', 'bill') }}
),

renamed as (
    select
        trade_time,
        wechat_order_id,
        order_id,
        trade_status,
        settlement_amount,
        refund_amount,
        fee,
        fee_rate,
        cast(trade_time as date) as trade_time_date,
        _source_file as source_file
    from source
)

select * from renamed
