"""One simulated brand: consumers are seeded on five content platforms and Tmall's own ads,
visit the store, order on Tmall or the Douyin shop, pay, get refunds, and come back.

Every export is written from these same events, so the reports agree with each other, and
the causal truth is kept: each consumer's daily purchase hazard is a baseline plus one term
per earlier touchpoint (platform effect x stage weight x exp(-age / platform decay)), so
every order's hazard shares say which touchpoints caused it, and how much of its revenue
each channel truly added. Deterministic for a seed; one day is simulated at a time.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
LOOKBACK_DAYS = 30

# Ground truth of the simulation: the platform's effect on purchase hazard per touch and
# the e-folding time of that effect in days.
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

SCALES = {
    # consumers, mean exposures per consumer-day
    "small": (3000, 0.45),
    "medium": (120_000, 1.2),
    "large": (1_000_000, 1.3),
}

PRODUCTS = [
    # sku, product id, title, category, list price, unit cost, merchant code
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


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Placement:
    """Something a consumer can be exposed to: an ad creative, a note, a video."""

    platform: str
    kind: str  # ad | organic | creator
    campaign_id: str | None
    campaign_name: str | None
    unit_id: str | None
    creative_id: str | None
    note_id: str | None
    creator_id: str | None
    weight: float  # share of the platform's exposures
    cpc: Decimal  # cost per click of the ad (0 for organic)
    cpm: Decimal  # cost per thousand exposures on top (0 for organic)
    placement: str = "信息流"
    xiaohongxing_campaign: str | None = None


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


@dataclass
class Consumer:
    index: int
    oneid: str  # the data bank's id
    buyer_id: str  # Tmall 买家ID: equals oneid when the data bank saw the consumer on Taobao
    activity: float
    touches: list = field(default_factory=list)  # recent Touchpoints
    orders: int = 0
    name: str = ""
    nick: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class Touchpoint:
    seq: int
    oneid: str
    platform: str
    event: str
    ts: datetime
    placement: Placement | None
    click_id: str | None


@dataclass
class OrderLine:
    sku: tuple
    quantity: int

    @property
    def amount(self) -> Decimal:
        return self.sku[4] * self.quantity


@dataclass
class Refund:
    refund_id: str
    requested_at: datetime
    finished_at: datetime
    amount: Decimal
    returned: bool
    reason: str


@dataclass
class Order:
    store: str  # tmall | douyin_shop
    order_id: str
    consumer: Consumer
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
    influence: list[tuple[Touchpoint, str, float]] = field(default_factory=list)  # (touch, credited platform, share)
    baseline_share: float = 1.0
    creator_nickname: str | None = None
    traffic_type: str | None = None

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
class Day:
    day: date
    touchpoints: list[Touchpoint]
    orders: list[Order]


class World:
    """Inventory plus a day-by-day simulation (`days()` yields one Day at a time)."""

    def __init__(self, start: date, days: int, seed: int = 7, scale: str = "small"):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {sorted(SCALES)}")
        self.start, self.days_count, self.seed, self.scale = start, days, seed, scale
        self.rng = random.Random(seed)
        consumers, self.exposure_rate = SCALES[scale]
        self.placements = self._inventory()
        self.creators = self._creators()
        self.consumers = [self._consumer(i) for i in range(consumers)]
        self._touch_seq = 0
        self._order_seq = 0
        self.platform_weights = {
            "xiaohongshu": 0.38,
            "douyin": 0.27,
            "weibo": 0.10,
            "bilibili": 0.09,
            "zhihu": 0.06,
            "alimama": 0.10,
        }

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days_count - 1)

    # ---------------------------------------------------------------- inventory
    def _id(self, digits: int) -> str:
        return str(self.rng.randint(10 ** (digits - 1), 10**digits - 1))

    def _hex(self, chars: int) -> str:
        return f"{self.rng.getrandbits(chars * 4):0{chars}x}"

    def _inventory(self) -> list[Placement]:
        rng = self.rng
        out: list[Placement] = []
        xhx = ["XHX" + self._id(8), "XHX" + self._id(8)]
        juguang = [("跑鞋秋季种草", "信息流"), ("精华新品搜索", "搜索"), ("口红达人笔记", "信息流")]
        for c, (name, placement) in enumerate(juguang, start=1):
            campaign = f"{1700000000 + c * 1117}"
            for u in range(1, 3):
                unit = f"{campaign}{u:02d}"
                for k in range(1, 3):
                    out.append(
                        Placement(
                            "xiaohongshu",
                            "ad",
                            campaign,
                            name,
                            unit,
                            f"{unit}{k:03d}",
                            "6" + self._hex(23),
                            None,
                            rng.uniform(0.5, 1.5),
                            money(rng.uniform(0.8, 2.2)),
                            money(rng.uniform(8, 20)),
                            placement,
                            xhx[c % 2],
                        )
                    )
        for _ in range(6):  # the brand's own organic notes
            out.append(
                Placement(
                    "xiaohongshu",
                    "organic",
                    None,
                    None,
                    None,
                    None,
                    "6" + self._hex(23),
                    None,
                    rng.uniform(0.3, 0.9),
                    Decimal("0"),
                    Decimal("0"),
                    "信息流",
                    xhx[0],
                )
            )
        for platform, names, cpc_range in (
            ("douyin", ["千川-跑鞋直播", "千川-精华短视频", "千川-口红达人", "千川-全域推广"], (0.6, 1.6)),
            ("weibo", ["粉丝通-新品", "粉丝通-明星同款"], (0.5, 1.2)),
            ("bilibili", ["B站-测评UP主", "B站-运动专区"], (0.8, 2.0)),
            ("zhihu", ["知+-跑鞋怎么选", "知+-护肤成分"], (1.0, 2.5)),
            ("alimama", ["万相台-货品加速", "万相台-拉新快", "万相台-搜索卡位"], (0.4, 1.2)),
        ):
            for name in names:
                out.append(
                    Placement(
                        platform,
                        "ad",
                        self._id(16 if platform == "douyin" else 10),
                        name,
                        None,
                        None,
                        None,
                        None,
                        rng.uniform(0.5, 1.5),
                        money(rng.uniform(*cpc_range)),
                        money(rng.uniform(5, 25)),
                    )
                )
        return out

    def _creators(self) -> list[Creator]:
        creators = []
        for i in range(8):
            published = self.start + timedelta(days=self.rng.randint(0, max(self.days_count - 5, 1)))
            creator = Creator(
                creator_id=self._hex(24),
                nickname=f"{self.rng.choice(['跑者', '护肤', '穿搭', '健身'])}小{GIVEN[i]}",
                followers=self.rng.randint(8_000, 900_000),
                note_id="6" + self._hex(23),
                collab_order_id="PGY" + self._id(12),
                form=self.rng.choice(["图文", "视频"]),
                fee=money(self.rng.choice([3000, 5000, 8000, 12000, 20000])),
                published=published,
            )
            creators.append(creator)
            self.placements.append(
                Placement(
                    "xiaohongshu",
                    "creator",
                    None,
                    None,
                    None,
                    None,
                    creator.note_id,
                    creator.creator_id,
                    0.0,
                    Decimal("0"),
                    Decimal("0"),
                    "信息流",
                    "XHX-CREATOR",
                )
            )
        return creators

    def _consumer(self, index: int) -> Consumer:
        rng = self.rng
        oneid = self._hex(16)
        seen_on_taobao = rng.random() < 0.8
        return Consumer(
            index=index,
            oneid=oneid,
            buyer_id=oneid if seen_on_taobao else self._hex(16),
            activity=rng.lognormvariate(0, 0.8),
            name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
            nick=f"tb{rng.randint(10**7, 10**8 - 1)}",
            phone=f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}",
            address=f"{rng.choice(PROVINCES)}{rng.choice(CITIES)}西湖区文三路{rng.randint(1, 999)}号",
        )

    # ---------------------------------------------------------------- simulation
    def _placement_for(self, platform: str, day: date) -> Placement:
        candidates = [
            p for p in self.placements if p.platform == platform and (p.kind != "creator" or self._creator_live(p, day))
        ]
        weights = [p.weight if p.kind != "creator" else 1.2 for p in candidates]
        return self.rng.choices(candidates, weights=weights)[0]

    def _creator_live(self, placement: Placement, day: date) -> bool:
        creator = next(c for c in self.creators if c.note_id == placement.note_id)
        return creator.published <= day <= creator.published + timedelta(days=20)

    def _touch(self, consumer: Consumer, platform: str, event: str, ts: datetime, placement, click_id=None):
        self._touch_seq += 1
        tp = Touchpoint(self._touch_seq, consumer.oneid, platform, event, ts, placement, click_id)
        consumer.touches.append(tp)
        return tp

    def _exposures(self, consumer: Consumer, day: date) -> list[Touchpoint]:
        rng = self.rng
        out = []
        count = _poisson(rng, self.exposure_rate * consumer.activity)
        base = datetime.combine(day, datetime.min.time())
        for _ in range(count):
            platform = rng.choices(list(self.platform_weights), weights=list(self.platform_weights.values()))[0]
            placement = self._placement_for(platform, day)
            ts = base + timedelta(seconds=rng.randint(0, 86399 - 3600))
            out.append(self._touch(consumer, platform, "曝光", ts, placement))
            if rng.random() < 0.06:
                out.append(
                    self._touch(consumer, platform, "互动", ts + timedelta(seconds=rng.randint(5, 120)), placement)
                )
            if rng.random() < 0.028:
                click_ts = ts + timedelta(seconds=rng.randint(5, 300))
                click_id = f"{platform[:3]}{self._hex(15)}"
                out.append(self._touch(consumer, platform, "点击", click_ts, placement, click_id))
                if rng.random() < 0.65:  # the jump lands in the Tmall store
                    visit = click_ts + timedelta(seconds=rng.randint(3, 60))
                    out.append(self._touch(consumer, "tmall", "进店", visit, placement, click_id))
                    if rng.random() < 0.25:
                        out.append(
                            self._touch(
                                consumer,
                                "tmall",
                                "加购",
                                visit + timedelta(seconds=rng.randint(20, 900)),
                                placement,
                                click_id,
                            )
                        )
            elif platform != "alimama" and rng.random() < 0.015:  # 回搜: brand search after exposure
                out.append(
                    self._touch(consumer, "tmall", "搜索", ts + timedelta(minutes=rng.randint(1, 50)), placement)
                )
        return out

    def _hazard_terms(self, consumer: Consumer, at: datetime) -> list[tuple[Touchpoint, float]]:
        terms = []
        for tp in consumer.touches:
            age = (at - tp.ts).total_seconds() / 86400
            if age < 0 or age > LOOKBACK_DAYS:
                continue
            credited = tp.placement.platform if tp.placement else tp.platform
            effect, decay = PLATFORM_EFFECT[credited]
            terms.append((tp, effect * STAGE_WEIGHT[tp.event] * math.exp(-age / decay)))
        return terms

    def days(self) -> Iterator[Day]:
        rng = self.rng
        for offset in range(self.days_count):
            day = self.start + timedelta(days=offset)
            cutoff = datetime.combine(day, datetime.min.time()) - timedelta(days=LOOKBACK_DAYS)
            touchpoints: list[Touchpoint] = []
            orders: list[Order] = []
            for consumer in self.consumers:
                consumer.touches = [t for t in consumer.touches if t.ts >= cutoff]
                touchpoints.extend(self._exposures(consumer, day))
                decision = datetime.combine(day, datetime.min.time()) + timedelta(seconds=rng.randint(3600, 86399))
                terms = self._hazard_terms(consumer, decision)
                baseline = BASELINE_HAZARD * consumer.activity**0.5 + (REPEAT_BOOST if consumer.orders else 0)
                hazard = baseline + sum(h for _, h in terms)
                if rng.random() < 1 - math.exp(-hazard):
                    orders.append(self._order(consumer, decision, terms, baseline, hazard))
            touchpoints.sort(key=lambda t: (t.ts, t.seq))
            orders.sort(key=lambda o: (o.created_at, o.order_id))
            yield Day(day, touchpoints, orders)

    def _order(self, consumer: Consumer, created: datetime, terms, baseline: float, hazard: float) -> Order:
        rng = self.rng
        self._order_seq += 1
        consumer.orders += 1
        recent_click = next(
            (
                t
                for t in reversed(consumer.touches)
                if t.click_id and t.event == "点击" and (created - t.ts) <= timedelta(days=3) and t.ts <= created
            ),
            None,
        )
        douyin_touch = any(t.platform == "douyin" for t, _ in terms)
        store = "douyin_shop" if douyin_touch and rng.random() < 0.35 else "tmall"
        if recent_click is not None and recent_click.platform != "douyin":
            store = "tmall"
        favour = None
        if recent_click and recent_click.placement and recent_click.placement.campaign_name:
            favour = (
                "美妆" if any(w in recent_click.placement.campaign_name for w in ("精华", "口红", "护肤")) else "运动"
            )
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
            source = _tmall_source(recent_click, rng)
        else:
            order_id = f"{6900000000000000000 + self.seed * 10**12 + self._order_seq * 7919}"
            source = rng.choice(["直播", "短视频", "商品卡"])
        order = Order(
            store=store,
            order_id=order_id,
            consumer=consumer,
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
            click_id=recent_click.click_id if recent_click and store == "tmall" else None,
        )
        if store == "douyin_shop":
            order.creator_nickname = rng.choice(["跑鞋测评阿杰", "护肤研究所", "健身小敏", ""])
            order.traffic_type = source
        total = hazard if hazard > 0 else 1.0
        order.baseline_share = baseline / total
        order.influence = [(tp, tp.placement.platform if tp.placement else tp.platform, h / total) for tp, h in terms]
        if paid_at:
            order.carrier = rng.choice(["京东物流", "菜鸟"])
            order.shipped_at = paid_at + timedelta(hours=rng.randint(4, 30))
            order.signed_at = order.shipped_at + timedelta(hours=rng.randint(20, 96))
            order.waybill_no = ("JDX" if order.carrier == "京东物流" else "YT") + self._id(12)
            order.weight_kg = Decimal(str(round(0.3 + 0.4 * sum(line.quantity for line in lines), 2)))
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
        return order


def _tmall_source(click: Touchpoint | None, rng: random.Random) -> str:
    if click is None:
        return rng.choice(["手淘搜索", "淘内免费", "手淘推荐", "直接访问"])
    return {
        "xiaohongshu": "小红书",
        "douyin": "抖音",
        "weibo": "微博",
        "bilibili": "哔哩哔哩",
        "zhihu": "知乎",
        "alimama": "万相台",
    }[click.platform]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    threshold, k, product = math.exp(-lam), 0, rng.random()
    while product > threshold:
        k += 1
        product *= rng.random()
    return k


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
