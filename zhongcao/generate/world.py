"""A small simulated brand: consumers see Xiaohongshu 聚光 ads, click into Tmall, and order.

One world feeds every report, so the reports agree with each other: the ad report is the
daily aggregate of the simulated impressions and clicks, and the click ids those clicks
carry land on the Tmall orders they led to. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

PRODUCTS = [
    # sku, product id, title, category, list price, unit cost
    ("SKU-RUN-01", "700100200301", "轻量跑鞋 Air", "运动", Decimal("499.00"), Decimal("180.00")),
    ("SKU-RUN-02", "700100200302", "速干运动T恤", "运动", Decimal("129.00"), Decimal("38.00")),
    ("SKU-YOGA-01", "700100200303", "瑜伽垫 6mm", "运动", Decimal("159.00"), Decimal("45.00")),
    ("SKU-SKIN-01", "700100200401", "玻尿酸精华 30ml", "美妆", Decimal("329.00"), Decimal("62.00")),
    ("SKU-SKIN-02", "700100200402", "氨基酸洁面乳", "美妆", Decimal("89.00"), Decimal("17.00")),
    ("SKU-LIP-01", "700100200403", "丝绒口红 #02", "美妆", Decimal("219.00"), Decimal("35.00")),
]
PROVINCES = ["浙江省", "广东省", "江苏省", "上海市", "北京市", "四川省", "湖北省", "广西壮族自治区"]
CITIES = ["杭州市", "广州市", "南京市", "成都市", "武汉市", "南宁市"]
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "杰", "婷"]


@dataclass(frozen=True)
class Creative:
    campaign_id: str
    campaign_name: str
    unit_id: str
    creative_id: str
    note_id: str
    placement: str
    base_impressions: int
    ctr: float
    cpc: Decimal
    engagement_rate: float


@dataclass
class AdDay:
    day: date
    creative: Creative
    impressions: int
    reach: int
    clicks: int
    engagements: int
    likes: int
    collects: int
    comments: int
    shares: int
    follows: int
    dm_inquiries: int
    spend: Decimal
    search_back_rate: float


@dataclass
class Order:
    order_id: str
    buyer_oneid: str
    buyer_nick: str
    receiver_name: str
    receiver_phone: str
    receiver_address: str
    sku: tuple
    quantity: int
    gmv: Decimal
    merchant_discount: Decimal
    platform_discount: Decimal
    paid_amount: Decimal
    status: str
    created_at: datetime
    paid_at: datetime | None
    payment_method: str | None
    carrier: str | None
    waybill_no: str | None
    source: str
    click_id: str | None


@dataclass
class World:
    start: date
    days: int
    seed: int
    creatives: list[Creative] = field(default_factory=list)
    ad_days: list[AdDay] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _creatives(rng: random.Random) -> list[Creative]:
    creatives = []
    campaigns = [("跑鞋秋季种草", "信息流"), ("精华新品搜索", "搜索"), ("口红达人笔记", "信息流")]
    for c_index, (name, placement) in enumerate(campaigns, start=1):
        campaign_id = f"{1700000000 + c_index * 1117}"
        for u_index in range(1, 3):
            unit_id = f"{campaign_id}{u_index:02d}"
            for k in range(1, 3):
                creatives.append(
                    Creative(
                        campaign_id=campaign_id,
                        campaign_name=name,
                        unit_id=unit_id,
                        creative_id=f"{unit_id}{k:03d}",
                        note_id=f"6{rng.getrandbits(92):023x}"[:24],
                        placement=placement,
                        base_impressions=rng.randint(4000, 16000),
                        ctr=rng.uniform(0.012, 0.045) * (1.6 if placement == "搜索" else 1.0),
                        cpc=_money(rng.uniform(0.6, 2.4)),
                        engagement_rate=rng.uniform(0.02, 0.07),
                    )
                )
    return creatives


def _person(rng: random.Random) -> tuple[str, str, str, str, str]:
    oneid = f"{rng.getrandbits(64):016x}"
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
    nick = f"tb{rng.randint(10**7, 10**8 - 1)}"
    phone = f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}"
    address = f"{rng.choice(PROVINCES)}{rng.choice(CITIES)}西湖区文三路{rng.randint(1, 999)}号"
    return oneid, nick, name, phone, address


def simulate(start: date, days: int, seed: int = 7) -> World:
    rng = random.Random(seed)
    world = World(start=start, days=days, seed=seed, creatives=_creatives(rng))
    order_seq = 0

    def new_order(created: datetime, source: str, click_id: str | None, favour: str | None) -> Order:
        nonlocal order_seq
        order_seq += 1
        oneid, nick, name, phone, address = _person(rng)
        pool = [p for p in PRODUCTS if favour is None or p[3] == favour] or PRODUCTS
        sku = rng.choice(pool)
        quantity = rng.choices([1, 2, 3], weights=[80, 15, 5])[0]
        gmv = sku[4] * quantity
        merchant_discount = _money(gmv * Decimal(rng.choice(["0", "0", "0.05", "0.10"])))
        platform_discount = _money(rng.choice([0, 0, 0, 5, 10, 20]))
        paid_amount = max(gmv - merchant_discount - platform_discount, CENT)
        status = rng.choices(
            ["交易成功", "卖家已发货", "买家已付款", "等待买家付款", "交易关闭"], weights=[70, 12, 6, 5, 7]
        )[0]
        paid = status in ("交易成功", "卖家已发货", "买家已付款")
        shipped = status in ("交易成功", "卖家已发货")
        carrier = rng.choice(["京东物流", "菜鸟"]) if shipped else None
        # 19-digit order ids beyond 2**53: any float round-trip would corrupt them.
        order_id = f"{4100000000000000000 + seed * 10**12 + order_seq * 7919}"
        return Order(
            order_id=order_id,
            buyer_oneid=oneid,
            buyer_nick=nick,
            receiver_name=name,
            receiver_phone=phone,
            receiver_address=address,
            sku=sku,
            quantity=quantity,
            gmv=gmv,
            merchant_discount=merchant_discount,
            platform_discount=platform_discount,
            paid_amount=paid_amount,
            status=status,
            created_at=created,
            paid_at=created + timedelta(seconds=rng.randint(20, 1800)) if paid else None,
            payment_method=rng.choices(["支付宝", "微信支付", "花呗"], weights=[60, 25, 15])[0] if paid else None,
            carrier=carrier,
            waybill_no=(("JDX" if carrier == "京东物流" else "YT") + f"{rng.randint(10**11, 10**12 - 1)}")
            if carrier
            else None,
            source=source,
            click_id=click_id,
        )

    for offset in range(days):
        day = start + timedelta(days=offset)
        weekend = 1.25 if day.weekday() >= 5 else 1.0
        for creative in world.creatives:
            impressions = max(0, int(rng.gauss(creative.base_impressions * weekend, creative.base_impressions * 0.15)))
            clicks = sum(1 for _ in range(impressions // 20) if rng.random() < creative.ctr * 20)
            clicks = min(clicks, impressions)
            engagements = int(impressions * creative.engagement_rate * rng.uniform(0.8, 1.2))
            parts = [rng.random() for _ in range(5)]
            total = sum(parts)
            split = [int(engagements * p / total) for p in parts]
            split[0] += engagements - sum(split)
            world.ad_days.append(
                AdDay(
                    day=day,
                    creative=creative,
                    impressions=impressions,
                    reach=int(impressions * rng.uniform(0.7, 0.9)),
                    clicks=clicks,
                    engagements=engagements,
                    likes=split[0],
                    collects=split[1],
                    comments=split[2],
                    shares=split[3],
                    follows=split[4],
                    dm_inquiries=rng.randint(0, 3),
                    spend=_money(creative.cpc * clicks * Decimal(str(round(rng.uniform(0.9, 1.1), 3)))),
                    search_back_rate=rng.uniform(0.01, 0.06),
                )
            )
            favour = "美妆" if creative.campaign_name[:2] in ("精华", "口红") else "运动"
            for _ in range(clicks):
                if rng.random() < 0.008:  # a click that ends in an order within three days
                    click_id = f"xhs{rng.getrandbits(60):015x}"
                    created = datetime.combine(day, datetime.min.time()) + timedelta(
                        seconds=rng.randint(0, 3 * 86400 - 1)
                    )
                    if created.date() <= world.end:
                        world.orders.append(new_order(created, "小红书", click_id, favour))
        for _ in range(rng.randint(8, 16)):  # organic and other-channel orders
            created = datetime.combine(day, datetime.min.time()) + timedelta(seconds=rng.randint(0, 86399))
            world.orders.append(new_order(created, rng.choice(["手淘搜索", "直通车", "淘内免费", "抖音"]), None, None))
    world.orders.sort(key=lambda o: (o.created_at, o.order_id))
    return world
