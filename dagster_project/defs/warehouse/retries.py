"""Transient failures are retried; everything else fails at once (retrying a bad file or a failed
check would only repeat it)."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from zhongcao.config import Settings

# A BI tool or a stray shell holding the warehouse, or the dbt child of a killed run finishing.
TRANSIENT_MARKERS = ("Could not set lock on file", "Conflicting lock is held", "database is locked")
RETRIES = 3


def is_transient(error: BaseException) -> bool:
    text = str(error)
    return isinstance(error, TimeoutError | ConnectionError) or any(marker in text for marker in TRANSIENT_MARKERS)


@contextmanager
def retry_transient(context) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        if isinstance(error, dg.RetryRequested) or not is_transient(error):
            raise
        wait = Settings.from_env().retry_wait_seconds
        context.log.warning(f"transient failure, retrying in {wait:.0f} s (at most {RETRIES} times): {error}")
        raise dg.RetryRequested(max_retries=RETRIES, seconds_to_wait=wait) from error
