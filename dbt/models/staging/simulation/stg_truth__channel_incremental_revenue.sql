select
    platform as channel,
    true_incremental_revenue,
    effect_per_touch,
    decay_days
from {{ source('truth', 'channel_incremental_revenue') }}
