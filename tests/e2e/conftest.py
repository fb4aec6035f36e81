"""Shared by the e2e tests: the sample read straight from its export files in plain Python
(no DuckDB, no dbt SQL, no zhongcao code), and one main-job run over a copy of it."""

import codecs
import csv
import io
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import copy_sample, isolate
from zhongcao.cli import run_main_job
from zhongcao.config import REPO_ROOT

STAGES = {"曝光": "impression", "互动": "engagement", "点击": "click", "搜索": "search", "进店": "store_visit"}
STAGES["加购"] = "add_to_cart"
INTEREST = {"engagement", "click", "search", "store_visit", "add_to_cart"}
REPURCHASE_WINDOW_DAYS = 90


def _text(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_records(path: Path) -> list[dict[str, str]]:
    rows = csv.DictReader(io.StringIO(_text(path)))
    return [
        {k: v.strip().removeprefix('="').removesuffix('"') for k, v in row.items()}
        for row in rows
        if not next(iter(row.values())).startswith("合计")
    ]


def only_csv(folder: Path) -> Path:
    (path,) = folder.glob("*.csv")
    return path


def _at(text: str) -> datetime | None:
    return None if text in ("", "--") else datetime.fromisoformat(text)


@dataclass
class Sample:
    """The sample, read the way an analyst with a spreadsheet would."""

    touches: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)  # both stores, one dict per order
    person_of_buyer: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, landing: Path) -> "Sample":
        sample = cls()
        for path in sorted((landing / "databank" / "touchpoints").glob("*.csv")):
            for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
                row["stage"], row["at"] = STAGES[row["event"]], datetime.fromisoformat(row["ts"])
                sample.touches.append(row)
        click_platform, click_owners = {}, defaultdict(set)
        for touch in sorted(sample.touches, key=lambda t: t["at"]):
            if touch["stage"] == "click" and touch["click_id"]:
                click_platform.setdefault(touch["click_id"], touch["platform"])
                click_owners[touch["click_id"]].add(touch["oneid"])

        category_of_sku, category_of_product, price_of_product = {}, {}, {}
        for row in read_records(only_csv(landing / "merchant" / "products")):
            category_of_sku[row["SKU编码"]] = category_of_product[row["商品ID"]] = row["类目"]
            price_of_product[row["商品ID"]] = Decimal(row["吊牌价"])
        line_amounts = defaultdict(Counter)
        for row in read_records(only_csv(landing / "tmall" / "order_items")):
            amount = Decimal(row["价格"]) * int(row["购买数量"])
            line_amounts[row["订单编号"]][category_of_sku[row["SKU编码"]]] += amount
        signed = set()
        for row in read_records(only_csv(landing / "cainiao" / "bill")):
            if row["签收时间"]:
                signed.add(row["订单号"])
        (jd_bill,) = (landing / "jd_logistics" / "bill").glob("*.xlsx")
        sheet = CalamineWorkbook.from_path(str(jd_bill)).get_sheet_by_index(0).to_python()
        signed |= {row[sheet[0].index("订单号")] for row in sheet[1:] if row[sheet[0].index("签收时间")]}
        refunds = defaultdict(Decimal)
        for row in read_records(only_csv(landing / "tmall" / "refunds")):
            if row["退款状态"] == "退款成功":
                refunds[row["订单编号"]] += Decimal(row["退款金额"])

        tmall = read_records(only_csv(landing / "tmall" / "orders"))
        oneids = {t["oneid"] for t in sample.touches}
        buyers_of_click = defaultdict(set)
        for row in tmall:
            if row["点击ID"]:
                buyers_of_click[row["点击ID"]].add(row["买家ID"])
        links, conflicted = defaultdict(set), set()
        for row in tmall:
            buyer, click = row["买家ID"], row["点击ID"]
            if click in click_owners:
                if len(click_owners[click]) > 1 or len(buyers_of_click[click]) > 1:
                    conflicted.add(buyer)
                else:
                    links[buyer] |= click_owners[click]
        for row in tmall:
            buyer = row["买家ID"]
            if buyer in oneids:
                person = buyer
            elif len(links[buyer]) == 1 and buyer not in conflicted:
                person = next(iter(links[buyer]))
            else:
                person = f"tmall:{buyer}"
            sample.person_of_buyer[buyer] = person
            paid_at = _at(row["订单付款时间"])
            paid = Decimal(row["买家实际支付金额"]) if paid_at else Decimal(0)
            amounts = line_amounts[row["订单编号"]]
            top = max(amounts.values())
            sample.orders.append(
                {
                    "store": "tmall",
                    "order_id": row["订单编号"],
                    "platform_discount": Decimal(row["平台优惠"]) if paid_at else Decimal(0),
                    "person": person,
                    "created": _at(row["订单创建时间"]),
                    "paid_at": paid_at,
                    "paid": paid,
                    "gmv": Decimal(row["总金额"]),
                    "refund": refunds[row["订单编号"]],
                    "category": min(c for c, a in amounts.items() if a == top),
                    "platform": click_platform.get(row["点击ID"], "tmall"),
                    "delivered": row["订单编号"] in signed,
                }
            )

        douyin = defaultdict(list)
        for row in read_records(only_csv(landing / "douyin" / "shop_orders")):
            douyin[row["主订单编号"]].append(row)
        for lines in douyin.values():
            paid_at = _at(lines[0]["支付完成时间"])
            paid = sum(Decimal(line["订单应付金额"]) for line in lines) if paid_at else Decimal(0)
            amounts = Counter()
            for line in lines:
                amounts[category_of_product[line["商品ID"]]] += price_of_product[line["商品ID"]] * int(line["商品数量"])
            top = max(amounts.values())
            sample.orders.append(
                {
                    "store": "douyin_shop",
                    "order_id": lines[0]["主订单编号"],
                    "platform_discount": sum(Decimal(line["平台优惠"]) for line in lines) if paid_at else Decimal(0),
                    "person": None,
                    "created": _at(lines[0]["订单提交时间"]),
                    "paid_at": paid_at,
                    "paid": paid,
                    "gmv": sum(amounts.values()),
                    "refund": paid if paid_at and lines[0]["订单状态"] == "已关闭" else Decimal(0),
                    "category": min(c for c, a in amounts.items() if a == top),
                    "platform": "douyin",
                    "delivered": lines[0]["订单状态"] == "已完成",
                }
            )
        return sample

    def conversions(self) -> dict[str, list[dict]]:
        """Orders that stayed bought (paid, not refunded in full), per identified person, in order."""
        by_person = defaultdict(list)
        for order in self.orders:
            if order["person"] and order["paid_at"] and order["refund"] < order["paid"]:
                by_person[order["person"]].append(order)
        for orders in by_person.values():
            orders.sort(key=lambda o: o["paid_at"])
        return by_person


@pytest.fixture(scope="session")
def built_run(tmp_path_factory):
    """One main-job run over a copy of the sample, shared by the e2e modules that only read it:
    its settings and its Dagster result."""
    home = tmp_path_factory.mktemp("home")
    landing = tmp_path_factory.mktemp("landing")
    copy_sample(landing)
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings = isolate(home, landing, monkeypatch)
        result = run_main_job(settings, quiet=True)
    assert result.success
    return settings, result


@pytest.fixture(scope="session")
def built_settings(built_run):
    return built_run[0]


@pytest.fixture(scope="session")
def built(built_settings):
    """The published file of that run, and the sample read from the export files."""
    con = duckdb.connect(str(built_settings.published), read_only=True)
    yield con, Sample.read(built_settings.landing)
    con.close()


def copy_workspace(built_settings, into: Path, monkeypatch):
    """A private copy of that run's workspace (landing folder, warehouse, published file, Dagster
    storage) in `into`, for tests that start from a successful run without paying for another."""
    home, landing = into / "home", into / "landing"
    shutil.copytree(built_settings.home, home, symlinks=True)  # the published link stays a link
    shutil.copytree(built_settings.landing, landing)  # copy2 keeps the files' modification times
    return isolate(home, landing, monkeypatch)


@pytest.fixture
def built_workspace(built_settings, tmp_path, monkeypatch):
    return copy_workspace(built_settings, tmp_path, monkeypatch)


def dbt_build(settings, target: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`dbt build` of the models (no tests) on the settings' warehouse; `check`: it must succeed."""
    return dbt(settings, target, "build", "--exclude", "resource_type:test", *args, check=check)


def dbt(settings, target: Path, command: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """A dbt command on the settings' warehouse, its files in `target`; `check`: it must succeed."""
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            command,
            "--project-dir",
            str(REPO_ROOT / "dbt"),
            "--profiles-dir",
            str(REPO_ROOT / "dbt"),
            "--target-path",
            str(target),
            "--log-path",
            str(target),
            *args,
        ],
        env={**os.environ, "ZHONGCAO_WAREHOUSE": str(settings.warehouse)},
        capture_output=True,
        text=True,
    )
    if check:
        assert run.returncode == 0, run.stdout[-3000:]
    return run
