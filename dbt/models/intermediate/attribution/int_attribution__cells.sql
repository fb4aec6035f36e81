{{ config(materialized='incremental', incremental_strategy='append') }}
-- The cells attribution credits (channel × campaign × note × creator), each with a small
-- number that never changes once given: a partitioned run only appends the cells it has not
-- seen, numbered after the last one.
with touches as (
    select * from {{ ref('int_attribution__touchable') }}
    where {{ in_partition('event_date') }}
),

cells as (
    select distinct
        {{ hash64('channel', 'campaign_id', 'note_id', 'creator_id') }} as cell_key,
        channel,
        campaign_id,
        note_id,
        creator_id
    from touches
    {%- if is_incremental() %}
        where {{ hash64('channel', 'campaign_id', 'note_id', 'creator_id') }} not in (select known_cells.cell_key from {{ this }} as known_cells)
    {%- endif %}
),

final as (
    select
        cell_key,
        cast(
            {%- if is_incremental() %} (select coalesce(max(known_cells.cell_id), 0) from {{ this }} as known_cells) + {% endif %}
            row_number() over (order by channel, campaign_id nulls first, note_id nulls first, creator_id nulls first)
            as integer
        ) as cell_id,
        channel,
        campaign_id,
        note_id,
        creator_id
    from cells
)

select * from final
