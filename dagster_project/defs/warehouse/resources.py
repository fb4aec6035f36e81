"""The warehouse lock as a resource: taken once when a run starts, released when it ends."""

from contextlib import contextmanager

import dagster as dg

from zhongcao.config import Settings
from zhongcao.runlock import warehouse_lock


class WarehouseLock(dg.ConfigurableResource):
    """Every step requires it, so whichever steps a run selects, the run holds the lock from its
    first step to its last (the in-process executor sets resources up once per run)."""

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        settings = Settings.from_env()
        with warehouse_lock(settings.lock_path, context.run_id, settings.lock_wait_seconds, log=context.log.info):
            yield self
