import warnings

import dagster as dg

# Single-run backfills (one dbt build for a range of days) use the beta `backfill_policy`: chosen
# knowingly, so the warning would only be noise in every run's output.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
