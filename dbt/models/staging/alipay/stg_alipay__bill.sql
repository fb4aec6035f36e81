with source as (
    select * from {{ source('alipay', 'bill') }}
),

renamed as (
    select
        ledger_id,
        business_id,
        order_id,
        occurred_at,
        income,
        expense,
        balance,
        business_type,
        cast(occurred_at as date) as occurred_date,
        _source_file as source_file
    from source
)

select * from renamed
