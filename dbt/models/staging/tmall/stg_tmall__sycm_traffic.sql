with source as (
    select * from {{ source('tmall', 'sycm_traffic') }}
),

renamed as (
    select
        date,
        source_group,
        source_detail,
        visitors,
        cart_adders,
        favoriters,
        ordering_buyers,
        paying_buyers,
        paid_amount,
        conversion_rate,
        _source_file as source_file
    from source
)

select * from renamed
