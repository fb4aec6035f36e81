with source as (
    select * from {{ source('xiaohongshu', 'pugongying_orders') }}
),

renamed as (
    select
        collab_order_id,
        creator_id,
        creator_nickname,
        followers,
        note_id,
        collab_form,
        fee,
        platform_fee,
        published_at,
        cast(published_at as date) as published_date,
        _source_file as source_file
    from source
)

select * from renamed
