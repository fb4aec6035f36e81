with source as (
    select * from {{ source('xiaohongshu', 'note_daily') }}
),

renamed as (
    select
        date,
        note_id,
        note_title,
        impressions,
        reads,
        likes,
        collects,
        comments,
        shares,
        new_followers,
        search_impressions,
        _source_file as source_file
    from source
)

select * from renamed
