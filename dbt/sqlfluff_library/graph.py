"""dbt's `graph` as sqlfluff sees it: any node, in the default database and schema."""

from collections import defaultdict
from types import SimpleNamespace

nodes = defaultdict(lambda: SimpleNamespace(database="warehouse", schema="main", alias="node"))
