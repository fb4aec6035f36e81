"""Declarative export contracts: the YAML files under zhongcao/contracts/ as typed objects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from zhongcao.config import CONTRACTS_DIR

COLUMN_TYPES = {"id", "text", "int", "money", "decimal", "percent", "date", "timestamp"}
PII_MODES = {"hash", "province"}
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class ContractError(ValueError):
    """A contract file is itself malformed (a developer error, not a data error)."""


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...]
    type: str
    required: bool = False
    not_null: bool = False
    signed: bool = False
    scale: int = 2
    pii: str | None = None
    rename: str | None = None
    accepted: tuple[str, ...] | None = None

    @property
    def stored_name(self) -> str:
        return self.rename or self.name

    @property
    def duckdb_type(self) -> str:
        return {
            "id": "VARCHAR",
            "text": "VARCHAR",
            "int": "BIGINT",
            "money": f"DECIMAL(18,{self.scale})",
            "decimal": f"DECIMAL(18,{self.scale})",
            "percent": "DECIMAL(12,6)",
            "date": "DATE",
            "timestamp": "TIMESTAMP",
        }[self.type]


@dataclass(frozen=True)
class Contract:
    platform: str
    report: str
    description: str
    formats: tuple[str, ...]
    encodings: tuple[str, ...]
    grain: tuple[str, ...]
    business_date: str
    columns: tuple[Column, ...]
    footer_patterns: tuple[str, ...] = field(default=())
    preamble_date: str | None = None  # column filled from the 统计时间 preamble (one day per file)
    # A report keyed by something other than a date: the (platform, report) whose rows with the
    # same key give the days a file covers (order lines -> their orders' creation days).
    days_from: tuple[str, str] | None = None
    # Freshness: the partition of day D expects rows dated D - lag in the raw table; None = a
    # report that need not have rows every day (sparse, monthly or undated).
    freshness_lag_days: int | None = None

    @property
    def key(self) -> str:
        return f"{self.platform}__{self.report}"

    @property
    def table(self) -> str:
        """Raw table name inside the `raw` schema."""
        return self.key

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def alias_index(self) -> dict[str, Column]:
        index: dict[str, Column] = {}
        for col in self.columns:
            for alias in (col.name, *col.aliases):
                index[normalise_header(alias)] = col
        return index


def normalise_header(text: str) -> str:
    """Headers differ in spacing, full-width brackets and case between export versions."""
    text = text.strip().strip("`").strip().lower()
    text = text.replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text)


def _parse(data: dict, source: Path) -> Contract:
    def fail(msg: str) -> ContractError:
        return ContractError(f"{source}: {msg}")

    for key in ("platform", "report", "columns", "grain", "business_date", "formats"):
        if key not in data:
            raise fail(f"missing '{key}'")
    columns = []
    for name, spec in data["columns"].items():
        spec = spec or {}
        if not _IDENTIFIER.match(name):
            raise fail(f"column name {name!r} is not snake_case")
        if spec.get("type") not in COLUMN_TYPES:
            raise fail(f"column {name}: type must be one of {sorted(COLUMN_TYPES)}")
        if spec.get("pii") not in (None, *PII_MODES):
            raise fail(f"column {name}: pii must be one of {sorted(PII_MODES)}")
        columns.append(
            Column(
                name=name,
                aliases=tuple(str(a) for a in spec.get("aliases", [])),
                type=spec["type"],
                required=bool(spec.get("required", False)),
                not_null=bool(spec.get("not_null", False)),
                signed=bool(spec.get("signed", False)),
                scale=int(spec.get("scale", 2)),
                pii=spec.get("pii"),
                rename=spec.get("rename"),
                accepted=tuple(spec["accepted"]) if spec.get("accepted") else None,
            )
        )
    names = {c.name for c in columns}
    for key in (*data["grain"], data["business_date"], *([data["preamble_date"]] if "preamble_date" in data else [])):
        if key not in names:
            raise fail(f"grain/business_date column {key!r} is not a declared column")
    for ident in (data["platform"], data["report"]):
        if not _IDENTIFIER.match(ident):
            raise fail(f"{ident!r} is not a snake_case identifier")
    return Contract(
        platform=data["platform"],
        report=data["report"],
        description=data.get("description", ""),
        formats=tuple(data["formats"]),
        encodings=tuple(data.get("encodings", ["utf-8"])),
        grain=tuple(data["grain"]),
        business_date=data["business_date"],
        columns=tuple(columns),
        footer_patterns=tuple(data.get("footer_patterns", [])),
        preamble_date=data.get("preamble_date"),
        days_from=tuple(data["days_from"].split("/", 1)) if data.get("days_from") else None,
        freshness_lag_days=data.get("freshness_lag_days"),
    )


@cache
def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[tuple[str, str], Contract]:
    contracts = {}
    for path in sorted(directory.glob("*/*.yaml")):
        with path.open(encoding="utf-8") as fh:
            contract = _parse(yaml.safe_load(fh), path)
        if (path.parent.name, path.stem) != (contract.platform, contract.report):
            raise ContractError(f"{path}: file location does not match platform/report")
        contracts[(contract.platform, contract.report)] = contract
    for contract in contracts.values():
        source = contracts.get(contract.days_from) if contract.days_from else None
        if contract.days_from and (source is None or contract.business_date not in {c.name for c in source.columns}):
            raise ContractError(
                f"{contract.platform}/{contract.report}: days_from {'/'.join(contract.days_from)} must name a "
                f"report with a {contract.business_date!r} column"
            )
    # A report whose days come from another loads after it (order lines after their orders).
    return dict(sorted(contracts.items(), key=lambda item: item[1].days_from is not None))
