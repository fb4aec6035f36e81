with transitions as (
    select * from {{ ref('int_aipl__transitions') }}
),

final as (
    select
        date_day,
        '{{ var("brand_name") }}' as brand,
        category,
        from_state,
        to_state,
        from_state || '→' || to_state as flow,
        channel as platform,
        count(*) as consumers
    from transitions
    group by all
)

select * from final
