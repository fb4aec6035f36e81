"""One simulated brand: consumers are seeded on five content platforms and Tmall's own ads,
visit the store, order on Tmall or the Douyin shop, pay, get refunds, and come back.

Every export is written from these same events, so the reports agree with each other, and
the causal truth is kept. A consumer's purchase hazard is a baseline plus, per platform, a
stock of earlier touches: each touch adds effect x stage weight and decays with the
platform's e-folding time. An order's hazard shares therefore say how much of it each
channel (and each touch) caused, and sum with the baseline to exactly 1.

The simulation is vectorised with numpy one day at a time (memory stays bounded by the
consumer arrays), so the same code writes the small committed sample and the 50-million-
touchpoint benchmark world. Deterministic for a seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

CENT = Decimal("0.01")
TRUTH_LOOKBACK_DAYS = 30  # per-touch truth lists the touches of this window (small scale)

PLATFORMS = ["xiaohongshu", "douyin", "weibo", "bilibili", "zhihu", "alimama"]
TMALL = len(PLATFORMS)  # event platform code of in-store events (进店, 加购, 搜索)
EVENTS = ["曝光", "互动", "点击", "搜索", "进店", "加购"]
EXPOSE, ENGAGE, CLICK, SEARCH, VISIT, CART = range(6)

# Ground truth of the simulation: effect of one touch on the daily purchase hazard, and the
# e-folding time of that effect in days.
PLATFORM_EFFECT = {
    "xiaohongshu": (0.0060, 7.0),
    "douyin": (0.0045, 3.0),
    "weibo": (0.0012, 5.0),
    "bilibili": (0.0025, 10.0),
    "zhihu": (0.0020, 14.0),
    "alimama": (0.0040, 2.0),
}
STAGE_WEIGHT = {"曝光": 0.3, "互动": 1.0, "点击": 2.0, "搜索": 2.5, "进店": 3.0, "加购": 5.0}
BASELINE_HAZARD = 0.0016  # organic purchase propensity per consumer-day
REPEAT_BOOST = 0.0020  # extra hazard for a consumer who bought before (repurchase)
PLATFORM_SHARE = {"xiaohongshu": 0.38, "douyin": 0.27, "weibo": 0.10, "bilibili": 0.09, "zhihu": 0.06, "alimama": 0.10}

SCALES = {
    # consumers, mean exposures per consumer-day, hazard multiplier. The benchmark world is
    # asked for ~2.5 M orders from ~50 M touchpoints, which needs hungrier consumers.
    "small": (3_000, 0.45, 1.0),
    "medium": (120_000, 0.45, 1.0),
    "large": (1_000_000, 0.36, 3.3),
}

PRODUCTS = [
    # sku, product id, title, category, list price, unit cost
    ("SKU-RUN-01", "700100200301", "轻量跑鞋 Air", "运动", Decimal("499.00"), Decimal("180.00")),
    ("SKU-RUN-02", "700100200302", "速干运动T恤", "运动", Decimal("129.00"), Decimal("38.00")),
    ("SKU-YOGA-01", "700100200303", "瑜伽垫 6mm", "运动", Decimal("159.00"), Decimal("45.00")),
    ("SKU-SKIN-01", "700100200401", "玻尿酸精华 30ml", "美妆", Decimal("329.00"), Decimal("62.00")),
    ("SKU-SKIN-02", "700100200402", "氨基酸洁面乳", "美妆", Decimal("89.00"), Decimal("17.00")),
    ("SKU-LIP-01", "700100200403", "丝绒口红 #02", "美妆", Decimal("219.00"), Decimal("35.00")),
]
COMMISSION_RATE = {"运动": Decimal("0.05"), "美妆": Decimal("0.04")}
POINTS_RATE = Decimal("0.005")
PAYMENT_FEE_RATE = Decimal("0.006")
PROVINCES = ["浙江省", "广东省", "江苏省", "上海市", "北京市", "四川省", "湖北省", "广西壮族自治区"]
CITIES = ["杭州市", "广州市", "南京市", "成都市", "武汉市", "南宁市"]
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "杰", "婷"]
SOURCE_OF = {
    "xiaohongshu": "小红书",
    "douyin": "抖音",
    "weibo": "微博",
    "bilibili": "哔哩哔哩",
    "zhihu": "知乎",
    "alimama": "万相台",
}


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Placement:
    """Something a consumer can be exposed to: an ad creative, a note, a video."""

    index: int
    platform: str
    kind: str  # ad | organic | creator
    weight: float  # share of the platform's exposures
    campaign_id: str | None = None
    campaign_name: str | None = None
    unit_id: str | None = None
    creative_id: str | None = None
    note_id: str | None = None
    creator_id: str | None = None
    cpc: Decimal = Decimal("0")  # cost per click of the ad (0 for organic)
    cpm: Decimal = Decimal("0")  # cost per thousand exposures on top (0 for organic)
    placement: str = "信息流"
    xiaohongxing_campaign: str | None = None
    live_from: date | None = None  # creator notes are seen from publication for 20 days
    live_to: date | None = None


@dataclass(frozen=True)
class Creator:
    creator_id: str
    nickname: str
    followers: int
    note_id: str
    collab_order_id: str
    form: str
    fee: Decimal
    published: date


@dataclass(frozen=True, slots=True)
class Buyer:
    oneid: str  # the data bank's id
    buyer_id: str  # Tmall 买家ID: equals oneid when the data bank saw the consumer on Taobao
    nick: str
    name: str
    phone: str
    address: str


@dataclass(slots=True)
class OrderLine:
    sku: tuple
    quantity: int

    @property
    def amount(self) -> Decimal:
        return self.sku[4] * self.quantity


@dataclass(slots=True)
class Refund:
    refund_id: str
    requested_at: datetime
    finished_at: datetime
    amount: Decimal
    returned: bool
    reason: str


@dataclass(slots=True)
class Order:
    store: str  # tmall | douyin_shop
    order_id: str
    customer: int  # consumer index; identity and PII are re-derived on demand (millions of orders)
    identify: Callable[[int], Buyer]
    lines: list[OrderLine]
    created_at: datetime
    paid_at: datetime | None
    status: str  # lifecycle: paid | unpaid | closed (export statuses come from status_at)
    merchant_discount: Decimal
    platform_discount: Decimal
    payment_method: str | None
    source: str
    click_id: str | None
    carrier: str | None = None
    waybill_no: str | None = None
    shipped_at: datetime | None = None
    signed_at: datetime | None = None
    weight_kg: Decimal = Decimal("0")
    freight: Decimal = Decimal("0")
    refund: Refund | None = None
    channel_shares: dict[str, float] = field(default_factory=dict)  # platform -> hazard share
    baseline_share: float = 1.0
    touch_shares: list[tuple] = field(default_factory=list)  # (touch platform, event, ts, credited, share)
    claims: list[tuple] = field(default_factory=list)  # (platform, campaign_id, note_id, xhx campaign)
    creator_nickname: str | None = None
    traffic_type: str | None = None

    @property
    def consumer(self) -> Buyer:
        return self.identify(self.customer)

    @property
    def gmv(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))

    @property
    def paid_amount(self) -> Decimal:
        return max(self.gmv - self.merchant_discount - self.platform_discount, CENT)

    @property
    def category(self) -> str:
        return self.lines[0].sku[3]


@dataclass
class Touches:
    """One day's events as columns (sorted by time)."""

    consumer: np.ndarray  # int64 consumer index
    platform: np.ndarray  # uint8 event platform (PLATFORMS index, TMALL for in-store events)
    credited: np.ndarray  # uint8 platform whose placement caused the event
    event: np.ndarray  # uint8 EVENTS index
    ts: np.ndarray  # int64 seconds since the world's start
    placement: np.ndarray  # int32 Placement.index
    click: np.ndarray  # uint64 click id, 0 for none

    def __len__(self) -> int:
        return len(self.ts)


@dataclass
class Day:
    day: date
    touches: Touches
    orders: list[Order]


class World:
    """Inventory plus a day-by-day simulation (`days()` yields one Day at a time)."""

    def __init__(self, start: date, days: int, seed: int = 7, scale: str = "small"):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {sorted(SCALES)}")
        self.start, self.days_count, self.seed, self.scale = start, days, seed, scale
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.consumers, self.exposure_rate, self.hazard_scale = SCALES[scale]
        self.placements: list[Placement] = []
        self.creators: list[Creator] = []
        self._inventory()
        n = self.consumers
        self.oneid = self.np.integers(1, 2**63 - 1, size=n, dtype=np.int64)
        seen = self.np.random(n) < 0.8
        self.buyer_id = np.where(seen, self.oneid, self.np.integers(1, 2**63 - 1, size=n, dtype=np.int64))
        self.activity = self.np.lognormal(0.0, 0.8, size=n)
        self.orders_so_far = np.zeros(n, dtype=np.int32)
        self.stock = np.zeros((n, len(PLATFORMS)))  # hazard stock per platform at day start
        self.tau = np.array([PLATFORM_EFFECT[p][1] for p in PLATFORMS])
        self.effect = np.array([PLATFORM_EFFECT[p][0] for p in PLATFORMS]) * self.hazard_scale
        self.stage = np.array([STAGE_WEIGHT[e] for e in EVENTS])
        # claims state: last touch per platform (seconds, placement), last xhs note, last click
        self.last_touch = np.full((n, len(PLATFORMS)), -(10**9), dtype=np.int64)
        self.last_placement = np.full((n, len(PLATFORMS)), -1, dtype=np.int32)
        self.note_touch = np.full(n, -(10**9), dtype=np.int64)
        self.note_placement = np.full(n, -1, dtype=np.int32)
        self.click_ts = np.full(n, -(10**9), dtype=np.int64)
        self.click_id = np.zeros(n, dtype=np.uint64)
        self.click_placement = np.full(n, -1, dtype=np.int32)
        self.history: dict[int, list] | None = {} if scale == "small" else None  # per-touch truth
        self._order_seq = 0

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days_count - 1)

    def at(self, seconds: int) -> datetime:
        return datetime.combine(self.start, datetime.min.time()) + timedelta(seconds=int(seconds))

    # ---------------------------------------------------------------- inventory
    def _id(self, digits: int) -> str:
        return str(self.rng.randint(10 ** (digits - 1), 10**digits - 1))

    def _hex(self, chars: int) -> str:
        return f"{self.rng.getrandbits(chars * 4):0{chars}x}"

    def _add(self, **kwargs) -> None:
        self.placements.append(Placement(index=len(self.placements), **kwargs))

    def _inventory(self) -> None:
        rng = self.rng
        xhx = ["XHX" + self._id(8), "XHX" + self._id(8)]
        juguang = [("跑鞋秋季种草", "信息流"), ("精华新品搜索", "搜索"), ("口红达人笔记", "信息流")]
        for c, (name, placement) in enumerate(juguang, start=1):
            campaign = f"{1700000000 + c * 1117}"
            for u in range(1, 3):
                unit = f"{campaign}{u:02d}"
                for k in range(1, 3):
                    self._add(
                        platform="xiaohongshu",
                        kind="ad",
                        campaign_id=campaign,
                        campaign_name=name,
                        unit_id=unit,
                        creative_id=f"{unit}{k:03d}",
                        note_id="6" + self._hex(23),
                        creator_id=None,
                        weight=rng.uniform(0.5, 1.5),
                        cpc=money(rng.uniform(0.8, 2.2)),
                        cpm=money(rng.uniform(8, 20)),
                        placement=placement,
                        xiaohongxing_campaign=xhx[c % 2],
                    )
        for _ in range(6):  # the brand's own organic notes
            self._add(
                platform="xiaohongshu",
                kind="organic",
                note_id="6" + self._hex(23),
                weight=rng.uniform(0.3, 0.9),
                xiaohongxing_campaign=xhx[0],
            )
        for platform, names, cpc_range in (
            ("douyin", ["千川-跑鞋直播", "千川-精华短视频", "千川-口红达人", "千川-全域推广"], (0.6, 1.6)),
            ("weibo", ["粉丝通-新品", "粉丝通-明星同款"], (0.5, 1.2)),
            ("bilibili", ["B站-测评UP主", "B站-运动专区"], (0.8, 2.0)),
            ("zhihu", ["知+-跑鞋怎么选", "知+-护肤成分"], (1.0, 2.5)),
            ("alimama", ["万相台-货品加速", "万相台-拉新快", "万相台-搜索卡位"], (0.4, 1.2)),
        ):
            for name in names:
                self._add(
                    platform=platform,
                    kind="ad",
                    campaign_id=self._id(16 if platform == "douyin" else 10),
                    campaign_name=name,
                    weight=rng.uniform(0.5, 1.5),
                    cpc=money(rng.uniform(*cpc_range)),
                    cpm=money(rng.uniform(5, 25)),
                )
        for i in range(8):
            published = self.start + timedelta(days=rng.randint(0, max(self.days_count - 5, 1)))
            creator = Creator(
                creator_id=self._hex(24),
                nickname=f"{rng.choice(['跑者', '护肤', '穿搭', '健身'])}小{GIVEN[i]}",
                followers=rng.randint(8_000, 900_000),
                note_id="6" + self._hex(23),
                collab_order_id="PGY" + self._id(12),
                form=rng.choice(["图文", "视频"]),
                fee=money(rng.choice([3000, 5000, 8000, 12000, 20000])),
                published=published,
            )
            self.creators.append(creator)
            self._add(
                platform="xiaohongshu",
                kind="creator",
                note_id=creator.note_id,
                creator_id=creator.creator_id,
                weight=1.2,
                xiaohongxing_campaign="XHX-CREATOR",
                live_from=published,
                live_to=published + timedelta(days=20),
            )
        self.placement_platform = np.array([PLATFORMS.index(p.platform) for p in self.placements], dtype=np.uint8)
        self.placement_has_xhx = np.array([p.xiaohongxing_campaign is not None for p in self.placements])

    def buyer(self, c: int) -> Buyer:
        """A consumer's identity and (fake) PII, derived from the index: nothing kept per consumer."""
        r = random.Random(self.seed * 1_000_003 + c)
        return Buyer(
            oneid=f"{int(self.oneid[c]):016x}",
            buyer_id=f"{int(self.buyer_id[c]):016x}",
            nick=f"tb{r.randint(10**7, 10**8 - 1)}",
            name=r.choice(SURNAMES) + r.choice(GIVEN) + r.choice(["", *GIVEN]),
            phone=f"1{r.choice('3578')}{r.randint(10**8, 10**9 - 1)}",
            address=f"{r.choice(PROVINCES)}{r.choice(CITIES)}西湖区文三路{r.randint(1, 999)}号",
        )

    # ---------------------------------------------------------------- simulation
    def _placements_today(self, day: date) -> list[np.ndarray]:
        """Per platform: candidate placement indices and their probabilities today."""
        out = []
        for platform in PLATFORMS:
            live = [
                p
                for p in self.placements
                if p.platform == platform and (p.live_from is None or p.live_from <= day <= p.live_to)
            ]
            weights = np.array([p.weight for p in live])
            out.append((np.array([p.index for p in live], dtype=np.int32), weights / weights.sum()))
        return out

    def _touches(self, offset: int, day: date) -> Touches:
        g = self.np
        base = offset * 86400
        counts = g.poisson(self.exposure_rate * self.activity)
        consumer = np.repeat(np.arange(self.consumers, dtype=np.int64), counts)
        n = len(consumer)
        platform = g.choice(len(PLATFORMS), size=n, p=[PLATFORM_SHARE[p] for p in PLATFORMS]).astype(np.uint8)
        placement = np.empty(n, dtype=np.int32)
        for code, (candidates, probabilities) in enumerate(self._placements_today(day)):
            mask = platform == code
            placement[mask] = g.choice(candidates, size=int(mask.sum()), p=probabilities)
        ts = base + g.integers(0, 86400 - 3600, size=n)
        parts = [(consumer, platform, platform, np.full(n, EXPOSE, np.uint8), ts, placement, np.zeros(n, np.uint64))]

        engaged = g.random(n) < 0.06
        parts.append(
            (
                consumer[engaged],
                platform[engaged],
                platform[engaged],
                np.full(int(engaged.sum()), ENGAGE, np.uint8),
                ts[engaged] + g.integers(5, 121, size=int(engaged.sum())),
                placement[engaged],
                np.zeros(int(engaged.sum()), np.uint64),
            )
        )
        clicked = g.random(n) < 0.028
        k = int(clicked.sum())
        click_ts = ts[clicked] + g.integers(5, 301, size=k)
        click_ids = g.integers(1, 2**60, size=k, dtype=np.int64).astype(np.uint64)
        parts.append(
            (
                consumer[clicked],
                platform[clicked],
                platform[clicked],
                np.full(k, CLICK, np.uint8),
                click_ts,
                placement[clicked],
                click_ids,
            )
        )
        visited = g.random(k) < 0.65  # the jump lands in the Tmall store
        v = int(visited.sum())
        visit_ts = click_ts[visited] + g.integers(3, 61, size=v)
        parts.append(
            (
                consumer[clicked][visited],
                np.full(v, TMALL, np.uint8),
                platform[clicked][visited],
                np.full(v, VISIT, np.uint8),
                visit_ts,
                placement[clicked][visited],
                click_ids[visited],
            )
        )
        carted = g.random(v) < 0.25
        c = int(carted.sum())
        parts.append(
            (
                consumer[clicked][visited][carted],
                np.full(c, TMALL, np.uint8),
                platform[clicked][visited][carted],
                np.full(c, CART, np.uint8),
                visit_ts[carted] + g.integers(20, 901, size=c),
                placement[clicked][visited][carted],
                click_ids[visited][carted],
            )
        )
        searched = (~clicked) & (platform != PLATFORMS.index("alimama")) & (g.random(n) < 0.015)  # 回搜
        s = int(searched.sum())
        parts.append(
            (
                consumer[searched],
                np.full(s, TMALL, np.uint8),
                platform[searched],
                np.full(s, SEARCH, np.uint8),
                ts[searched] + 60 * g.integers(1, 51, size=s),
                placement[searched],
                np.zeros(s, np.uint64),
            )
        )
        columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
        # by time, then consumer, then the rest: deterministic, and identical events end up adjacent
        order = np.lexsort((columns[6], columns[5], columns[3], columns[2], columns[1], columns[0], columns[4]))
        columns = [column[order] for column in columns]
        # Two identical events in the same second cannot be told apart in any export: keep one.
        distinct = np.ones(len(order), dtype=bool)
        distinct[1:] = np.any([column[1:] != column[:-1] for column in columns], axis=0)
        return Touches(*(column[distinct] for column in columns))

    def days(self) -> Iterator[Day]:
        g = self.np
        for offset in range(self.days_count):
            day = self.start + timedelta(days=offset)
            base = offset * 86400
            touches = self._touches(offset, day)
            decision = base + g.integers(3600, 86400, size=self.consumers)
            weight = self.effect[touches.credited] * self.stage[touches.event]
            before = touches.ts < decision[touches.consumer]
            # hazard stock at each consumer's decision time, per platform
            at_decision = self.stock * np.exp(-((decision - base) / 86400.0)[:, None] / self.tau[None, :])
            np.add.at(
                at_decision,
                (touches.consumer[before], touches.credited[before]),
                weight[before]
                * np.exp(
                    -(decision[touches.consumer[before]] - touches.ts[before])
                    / 86400.0
                    / self.tau[touches.credited[before]]
                ),
            )
            baseline = self.hazard_scale * (
                BASELINE_HAZARD * np.sqrt(self.activity) + np.where(self.orders_so_far > 0, REPEAT_BOOST, 0.0)
            )
            hazard = baseline + at_decision.sum(axis=1)
            buyers = np.flatnonzero(g.random(self.consumers) < -np.expm1(-hazard))
            self._update_claim_state(touches, before)
            if self.history is not None:
                self._remember(touches, base)
            orders = [
                self._order(int(c), base, int(decision[c]), at_decision[c], float(baseline[c]), float(hazard[c]))
                for c in buyers
            ]
            self._update_claim_state(touches, ~before)
            # day-end stock: decay a full day, add every touch of today decayed to midnight
            self.stock *= np.exp(-1.0 / self.tau)[None, :]
            np.add.at(
                self.stock,
                (touches.consumer, touches.credited),
                weight * np.exp(-((base + 86400) - touches.ts) / 86400.0 / self.tau[touches.credited]),
            )
            self.orders_so_far[buyers] += 1
            orders.sort(key=lambda o: (o.created_at, o.order_id))
            yield Day(day, touches, orders)

    def _update_claim_state(self, touches: Touches, mask: np.ndarray) -> None:
        """Latest touch per consumer and platform, latest xhs note, latest jump click."""
        consumer, credited, ts, placement = (
            touches.consumer[mask],
            touches.credited[mask],
            touches.ts[mask],
            touches.placement[mask],
        )
        # rows are sorted by time, so assigning in order leaves the latest value
        self.last_touch[consumer, credited] = ts
        self.last_placement[consumer, credited] = placement
        xhs = self.placement_has_xhx[placement]
        self.note_touch[consumer[xhs]] = ts[xhs]
        self.note_placement[consumer[xhs]] = placement[xhs]
        clicks = touches.event[mask] == CLICK
        self.click_ts[consumer[clicks]] = ts[clicks]
        self.click_id[consumer[clicks]] = touches.click[mask][clicks]
        self.click_placement[consumer[clicks]] = placement[clicks]

    def _remember(self, touches: Touches, base: int) -> None:
        horizon = base - TRUTH_LOOKBACK_DAYS * 86400
        for c, p, cr, e, t in zip(
            touches.consumer.tolist(),
            touches.platform.tolist(),
            touches.credited.tolist(),
            touches.event.tolist(),
            touches.ts.tolist(),
            strict=True,
        ):
            self.history.setdefault(c, []).append((t, p, cr, e))
        if base % (7 * 86400) == 0:
            for c, items in self.history.items():
                self.history[c] = [item for item in items if item[0] >= horizon]

    def _order(self, c: int, base: int, decision: int, stock: np.ndarray, baseline: float, hazard: float) -> Order:
        rng = self.rng
        self._order_seq += 1
        created = self.at(decision)
        recent_click = self.click_ts[c] > decision - 3 * 86400
        click_platform = PLATFORMS[self.placement_platform[self.click_placement[c]]] if recent_click else None
        douyin_touch = self.last_touch[c, PLATFORMS.index("douyin")] > decision - 7 * 86400
        store = "douyin_shop" if douyin_touch and rng.random() < 0.35 else "tmall"
        if click_platform is not None and click_platform != "douyin":
            store = "tmall"
        favour = None
        if click_platform is not None:
            name = self.placements[self.click_placement[c]].campaign_name or ""
            favour = "美妆" if any(w in name for w in ("精华", "口红", "护肤")) else "运动"
        pool = [p for p in PRODUCTS if favour is None or p[3] == favour]
        lines = [OrderLine(rng.choice(pool), rng.choices([1, 2, 3], weights=[82, 14, 4])[0])]
        if rng.random() < 0.18:
            extra = rng.choice(PRODUCTS)
            if extra[0] != lines[0].sku[0]:
                lines.append(OrderLine(extra, 1))
        gmv = sum(line.amount for line in lines)
        outcome = rng.choices(["paid", "unpaid", "closed"], weights=[88, 5, 7])[0]
        paid_at = created + timedelta(seconds=rng.randint(15, 1500)) if outcome == "paid" else None
        if store == "tmall":
            order_id = f"{4100000000000000000 + self.seed * 10**12 + self._order_seq * 7919}"
            source = (
                SOURCE_OF[click_platform]
                if click_platform
                else rng.choice(["手淘搜索", "淘内免费", "手淘推荐", "直接访问"])
            )
        else:
            order_id = f"{6900000000000000000 + self.seed * 10**12 + self._order_seq * 7919}"
            source = rng.choice(["直播", "短视频", "商品卡"])
        order = Order(
            store=store,
            order_id=order_id,
            customer=c,
            identify=self.buyer,
            lines=lines,
            created_at=created,
            paid_at=paid_at,
            status=outcome,
            merchant_discount=money(gmv * Decimal(rng.choice(["0", "0", "0.05", "0.10"]))),
            platform_discount=money(rng.choice([0, 0, 0, 5, 10, 20])),
            payment_method=(
                rng.choices(["支付宝", "微信支付", "花呗"], weights=[60, 25, 15])[0]
                if paid_at and store == "tmall"
                else ("抖音支付" if paid_at else None)
            ),
            source=source,
            click_id=f"{click_platform[:3]}{int(self.click_id[c]):015x}"
            if click_platform and store == "tmall"
            else None,
        )
        if store == "douyin_shop":
            order.creator_nickname = rng.choice(["跑鞋测评阿杰", "护肤研究所", "健身小敏", ""])
            order.traffic_type = source
        order.baseline_share = baseline / hazard
        order.channel_shares = {p: float(stock[i]) / hazard for i, p in enumerate(PLATFORMS) if stock[i] > 0}
        if self.history is not None:
            order.touch_shares = self._touch_shares(c, decision, hazard)
        order.claims = self._claims(c, decision)
        if paid_at:
            self._fulfil(order, paid_at)
        return order

    def _touch_shares(self, c: int, decision: int, hazard: float) -> list[tuple]:
        shares = []
        for t, p, cr, e in self.history.get(c, []):
            age = (decision - t) / 86400.0
            if 0 <= age <= TRUTH_LOOKBACK_DAYS:
                contribution = self.effect[cr] * self.stage[e] * math.exp(-age / self.tau[cr])
                shares.append((p, e, t, cr, contribution / hazard))
        return shares

    def _claims(self, c: int, decision: int) -> list[tuple]:
        """What each platform will claim for this order: touched within its attribution window."""
        claims = []
        for platform, window in (("douyin", 7), ("alimama", 15)):
            code = PLATFORMS.index(platform)
            if decision - 86400 * window < self.last_touch[c, code] <= decision:
                claims.append((platform, self.placements[self.last_placement[c, code]].campaign_id, None, None))
        if decision - 15 * 86400 < self.note_touch[c] <= decision:
            note = self.placements[self.note_placement[c]]
            claims.append(("xiaohongxing", None, note.note_id, note.xiaohongxing_campaign))
        return claims

    def _fulfil(self, order: Order, paid_at: datetime) -> None:
        rng = self.rng
        order.carrier = rng.choice(["京东物流", "菜鸟"])
        order.shipped_at = paid_at + timedelta(hours=rng.randint(4, 30))
        order.signed_at = order.shipped_at + timedelta(hours=rng.randint(20, 96))
        order.waybill_no = ("JDX" if order.carrier == "京东物流" else "YT") + self._id(12)
        order.weight_kg = Decimal(str(round(0.3 + 0.4 * sum(line.quantity for line in order.lines), 2)))
        order.freight = money(Decimal("6.50") + Decimal("2.00") * max(0, math.ceil(order.weight_kg) - 1))
        if rng.random() < 0.08:
            full = rng.random() < 0.7
            amount = order.paid_amount if full else money(order.paid_amount * Decimal("0.3"))
            requested = paid_at + timedelta(days=rng.randint(1, 8), seconds=rng.randint(0, 3600))
            order.refund = Refund(
                "RF" + self._id(16),
                requested,
                requested + timedelta(hours=rng.randint(2, 72)),
                amount,
                full,
                rng.choice(["不想要了", "尺码不合适", "质量问题", "七天无理由"]),
            )


def status_at(order: Order, as_of: datetime) -> str:
    """Tmall order status as the export at `as_of` shows it."""
    if order.paid_at is None:
        return "交易关闭" if order.status == "closed" or (as_of - order.created_at).days >= 1 else "等待买家付款"
    if order.refund and order.refund.amount == order.paid_amount and order.refund.finished_at <= as_of:
        return "交易关闭"
    if order.signed_at and order.signed_at + timedelta(days=10) <= as_of:
        return "交易成功"
    if order.shipped_at and order.shipped_at <= as_of:
        return "卖家已发货"
    return "买家已付款"
