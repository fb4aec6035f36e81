with measures as (
    select * from {{ ref('int_funnel__daily_measures') }}
),

final as (
    select
        {{ funnel_columns(with_category=true) }}
    from measures as m
)

select * from final
