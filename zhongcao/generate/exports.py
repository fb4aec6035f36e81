"""Write a simulated World as every platform's own export file, quirks included.

Layout: <out>/<platform>/<report>/<file>; the simulation's ground truth goes to
<out>/_truth/ (the loader ignores folders starting with `_`), the counts to
<out>/manifest.json.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np

from zhongcao.generate.world import (
    CART,
    COMMISSION_RATE,
    EVENTS,
    PAYMENT_FEE_RATE,
    PLATFORM_EFFECT,
    PLATFORMS,
    POINTS_RATE,
    PRODUCTS,
    SEARCH,
    SOURCE_OF,
    TMALL,
    VISIT,
    Order,
    Touches,
    World,
    money,
    status_at,
)

FEE_PLACES = Decimal("0.00001")


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _yuan(value: Decimal) -> str:
    """`¥1,234.50`: how several back offices print money."""
    return f"¥{value:,.2f}"


def _pct(numerator, denominator) -> str:
    if not denominator:
        return "--"
    return f"{(Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal('0.01'), ROUND_HALF_UP)}%"


def _ratio(numerator, denominator) -> str:
    if not denominator:
        return "--"
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP))


class Writer:
    def __init__(self, out: Path):
        self.out = out
        self.files: list[Path] = []
        self.rows: dict[str, int] = defaultdict(int)

    def path(self, platform: str, report: str, name: str) -> Path:
        path = self.out / platform / report / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(path)
        return path

    def csv(
        self,
        platform: str,
        report: str,
        name: str,
        header: list[str],
        rows: Iterable[list],
        encoding: str = "utf-8",
        preamble: list[str] = (),
        footer: list[str] = (),
        newline: str = "\n",
    ) -> None:
        count = 0
        with self.path(platform, report, name).open("w", encoding=encoding, newline="") as fh:  # streamed
            for line in preamble:
                fh.write(line + newline)
            writer = csv.writer(fh, lineterminator=newline)
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
            for line in footer:
                fh.write(line + newline)
        self.rows[f"{platform}__{report}"] += count

    def xlsx(
        self, platform: str, report: str, name: str, header: list[str], rows: Iterable[list], preamble: list[str] = ()
    ) -> None:
        import xlsxwriter

        path = self.path(platform, report, name)
        # constant_memory streams rows to disk: the benchmark world has a million parcels
        workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "constant_memory": True})
        workbook.set_properties({"created": datetime(2026, 1, 1)})  # same seed, same bytes
        sheet = workbook.add_worksheet("Sheet1")
        r = 0
        for line in preamble:
            sheet.write_string(r, 0, line)
            r += 1
        sheet.write_row(r, 0, header)
        count = 0
        for row in rows:
            r += 1
            count += 1
            for c, value in enumerate(row):
                if isinstance(value, bool) or value is None or value == "":
                    continue
                if isinstance(value, int | float):
                    sheet.write_number(r, c, value)
                elif isinstance(value, Decimal):
                    sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, str(value))
        workbook.close()
        self.rows[f"{platform}__{report}"] += count


class Aggregates:
    """What platform reports need, accumulated while the days stream past."""

    def __init__(self):
        self.ad = defaultdict(lambda: defaultdict(int))  # (platform, day, placement) -> counts
        self.note = defaultdict(lambda: defaultdict(int))  # (day, note_id) -> counts
        self.xhx = defaultdict(lambda: defaultdict(Decimal))  # (day, note_id, xhx campaign) -> counts
        self.claims = defaultdict(lambda: defaultdict(Decimal))  # (platform, day, campaign) -> claimed
        self.visits = defaultdict(lambda: defaultdict(int))  # (day, source) -> distinct visitors, carts


def _engagement_split(total: int, key: int) -> list[int]:
    weights = [5, 3, 1, 1, 1]
    shift = key % 5
    weights = weights[shift:] + weights[:shift]
    parts = [total * w // sum(weights) for w in weights]
    parts[0] += total - sum(parts)
    return parts


def _observe_touches(agg: Aggregates, world: World, day: date, t: Touches) -> None:
    """Platform report figures are counts of the same simulated events."""
    placements = world.placements
    off_site = t.platform != TMALL
    keys, counts = np.unique(t.placement[off_site].astype(np.int64) * 8 + t.event[off_site], return_counts=True)
    for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
        p, event = placements[key // 8], EVENTS[key % 8]
        agg.ad[(p.platform, day, p)][event] += count
        if p.note_id:
            agg.note[(day, p.note_id)][event] += count
        if event == "点击" and p.xiaohongxing_campaign:
            agg.xhx[(day, p.note_id, p.xiaohongxing_campaign)]["jump_clicks"] += count
    for event, metric in ((VISIT, "store_visitors"), (CART, "cart_adders")):
        mask = (t.event == event) & world.placement_has_xhx[t.placement]
        keys, counts = np.unique(t.placement[mask], return_counts=True)
        for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
            p = placements[key]
            agg.xhx[(day, p.note_id, p.xiaohongxing_campaign)][metric] += count
    # 生意参谋 counts distinct visitors per source: the jump's platform, or 手淘搜索 for 回搜
    source = np.where(t.event == SEARCH, len(PLATFORMS), t.credited.astype(np.int64))
    for events, metric in (((VISIT, SEARCH), "visitors"), ((CART,), "carts")):
        mask = np.isin(t.event, events)
        pairs = np.unique(source[mask] * world.consumers + t.consumer[mask])
        codes, counts = np.unique(pairs // world.consumers, return_counts=True)
        for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
            name = "手淘搜索" if code == len(PLATFORMS) else SOURCE_OF[PLATFORMS[code]]
            agg.visits[(day, name)][metric] += count


def _observe_order_claims(agg: Aggregates, order: Order) -> None:
    """Platform-claimed conversions: every platform claims the orders its touches preceded."""
    if order.paid_at is None:
        return
    day, value = order.paid_at.date(), order.paid_amount
    for platform, campaign_id, note_id, xhx_campaign in order.claims:
        if platform == "xiaohongxing":
            if order.store == "tmall":
                claim = agg.xhx[(day, note_id, xhx_campaign)]
                claim["claimed_orders"] += 1
                claim["claimed_gmv"] += value
        else:
            claim = agg.claims[(platform, day, campaign_id)]
            claim["orders"] += 1
            claim["gmv"] += value


TOUCHPOINT_HEADER = ["oneid", "platform", "event", "ts", "campaign_id", "note_id", "creator_id", "click_id"]


def _touchpoint_lines(world: World, t: Touches) -> str:
    """The data bank's CSV for one day, built column-wise (tens of millions of rows at scale)."""
    platform_names = [*PLATFORMS, "tmall"]
    placement_cols = [",".join([p.campaign_id or "", p.note_id or "", p.creator_id or ""]) for p in world.placements]
    start = datetime.combine(world.start, datetime.min.time())
    stamps = {}
    lines = []
    for c, plat, cred, event, ts, placement, click in zip(
        world.oneid[t.consumer].tolist(),
        t.platform.tolist(),
        t.credited.tolist(),
        t.event.tolist(),
        t.ts.tolist(),
        t.placement.tolist(),
        t.click.tolist(),
        strict=True,
    ):
        stamp = stamps.get(ts)
        if stamp is None:
            stamp = stamps[ts] = (start + timedelta(seconds=ts)).strftime("%Y-%m-%d %H:%M:%S")
        where = ",," if event == SEARCH else placement_cols[placement]  # a search names no campaign
        click_id = f"{PLATFORMS[cred][:3]}{click:015x}" if click else ""
        lines.append(f"{c:016x},{platform_names[plat]},{EVENTS[event]},{stamp},{where},{click_id}\n")
    return "".join(lines)


def generate(
    out: Path, start: date, days: int, seed: int = 7, scale: str = "small", progress=lambda message: None
) -> dict:
    world = World(start, days, seed, scale)
    out.mkdir(parents=True, exist_ok=True)
    writer = Writer(out)
    agg = Aggregates()
    orders: list[Order] = []
    touch_truth: list[list] = []
    true_incremental: dict[str, Decimal] = defaultdict(Decimal)

    (out / "_truth").mkdir(exist_ok=True)
    # Per paid order: the share of its purchase hazard from the baseline and from each channel (sums to 1).
    with (out / "_truth" / "order_channel_shares.csv").open("w", encoding="utf-8", newline="") as truth_fh:
        channel_truth = csv.writer(truth_fh, lineterminator="\n")
        channel_truth.writerow(["order_id", "channel", "hazard_share"])
        for day in world.days():
            # The data bank delivers one file per day: what the nightly run picks up.
            touch_path = writer.path("databank", "touchpoints", f"touchpoints_{day.day:%Y%m%d}.csv")
            touch_path.write_text(
                ",".join(TOUCHPOINT_HEADER) + "\n" + _touchpoint_lines(world, day.touches), encoding="utf-8"
            )
            _observe_touches(agg, world, day.day, day.touches)
            writer.rows["databank__touchpoints"] += len(day.touches)
            for order in day.orders:
                _observe_order_claims(agg, order)
                if order.paid_at:
                    channel_truth.writerow([order.order_id, "baseline", f"{order.baseline_share:.6f}"])
                    for platform, share in sorted(order.channel_shares.items()):
                        channel_truth.writerow([order.order_id, platform, f"{share:.6f}"])
                        true_incremental[platform] += Decimal(str(share)) * order.paid_amount
                    for plat, event, ts, credited, share in order.touch_shares:
                        touch_truth.append(
                            [
                                order.order_id,
                                order.consumer.oneid,
                                ([*PLATFORMS, "tmall"])[plat],
                                EVENTS[event],
                                _ts(world.at(ts)),
                                PLATFORMS[credited],
                                f"{share:.6f}",
                            ]
                        )
                # written out: free what the remaining reports do not need
                order.channel_shares, order.touch_shares, order.claims = {}, [], []
            orders.extend(day.orders)
            progress(f"{day.day}: {len(day.touches):,} touchpoints, {len(day.orders):,} orders")

    as_of = datetime.combine(world.end + timedelta(days=1), datetime.min.time())
    planted = _plant_discrepancies(world, orders)
    _write_products(writer)
    _write_ads(writer, world, agg)
    _write_xiaohongshu(writer, world, agg)
    _write_tmall(writer, world, orders, agg, as_of)
    _write_douyin_shop(writer, orders, as_of)
    _write_bills(writer, world, orders, as_of, planted)
    _write_truth(out, touch_truth, true_incremental, planted, world.hazard_scale)

    manifest = {
        "generator": "zhongcao.generate",
        "seed": seed,
        "scale": scale,
        "start": world.start.isoformat(),
        "end": world.end.isoformat(),
        "files": sorted(str(p.relative_to(out)) for p in writer.files),
        "rows": dict(sorted(writer.rows.items())),
        "totals": {
            "tmall__orders.paid_amount_of_paid_orders": str(
                sum((o.paid_amount for o in orders if o.store == "tmall" and o.paid_at), Decimal("0"))
            ),
            "tmall__orders.paid_orders": sum(1 for o in orders if o.store == "tmall" and o.paid_at),
            "xiaohongshu__juguang_ads.spend": str(sum((r[5] for r in _ad_rows(agg, "xiaohongshu")), Decimal("0"))),
            "douyin__shop_orders.orders": sum(1 for o in orders if o.store == "douyin_shop"),
            "planted_discrepancies": len(planted),
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


# ------------------------------------------------------------------ reference data
def _write_products(writer: Writer) -> None:
    writer.csv(
        "merchant",
        "products",
        "商品档案.csv",
        ["SKU编码", "商品ID", "商品名称", "类目", "成本价", "吊牌价"],
        ([sku, pid, title, cat, f"{cost}", f"{price}"] for sku, pid, title, cat, price, cost in PRODUCTS),
    )


# ------------------------------------------------------------------ ad platforms
def _ad_rows(agg: Aggregates, platform: str):
    for (plat, day, placement), counts in sorted(
        agg.ad.items(), key=lambda kv: (kv[0][1], str(kv[0][2].campaign_id), str(kv[0][2].creative_id))
    ):
        if plat != platform or placement.kind != "ad":
            continue
        impressions, clicks, engagements = counts["曝光"], counts["点击"], counts["互动"]
        spend = money(placement.cpc * clicks + placement.cpm * impressions / 1000)
        yield day, placement, impressions, clicks, engagements, spend


def _merge_by_campaign(rows):
    merged = {}
    for day, placement, impressions, clicks, engagements, spend in rows:
        key = (day, placement.campaign_id)
        if key in merged:
            _, p, i, c, e, s = merged[key]
            merged[key] = (day, p, i + impressions, c + clicks, e + engagements, s + spend)
        else:
            merged[key] = (day, placement, impressions, clicks, engagements, spend)
    return [merged[k] for k in sorted(merged)]


def _write_ads(writer: Writer, world: World, agg: Aggregates) -> None:
    span = f"{world.start:%Y%m%d}_{world.end:%Y%m%d}"
    # 巨量千川: UTF-8 with BOM, platform-claimed orders / GMV / ROI
    rows = []
    for day, p, impressions, clicks, _, spend in _merge_by_campaign(_ad_rows(agg, "douyin")):
        claim = agg.claims[("douyin", day, p.campaign_id)]
        gmv = money(claim["gmv"])
        rows.append(
            [
                day.isoformat(),
                p.campaign_id,
                p.campaign_name,
                f"{spend}",
                f"{impressions:,}",
                clicks,
                int(claim["orders"]),
                f"{gmv}",
                _ratio(gmv, spend),
            ]
        )
    writer.csv(
        "douyin",
        "qianchuan_ads",
        f"千川_计划报表_{span}.csv",
        [
            "日期",
            "计划ID",
            "计划名称",
            "整体消耗",
            "展示次数",
            "点击次数",
            "整体成交订单数",
            "整体成交金额",
            "整体支付ROI",
        ],
        rows,
        encoding="utf-8-sig",
    )
    for platform, header, name in (
        ("weibo", ["日期", "广告计划ID", "广告计划名称", "花费(元)", "曝光量", "点击量", "互动数"], "粉丝通报表"),
        ("bilibili", ["日期", "计划id", "计划名称", "消耗", "展示数", "点击数", "互动量"], "B站花火报表"),
        (
            "zhihu",
            ["日期", "推广计划ID", "推广计划名称", "消费金额", "曝光次数", "点击次数", "互动次数"],
            "知+投放报表",
        ),
    ):
        rows = [
            [
                day.strftime("%Y/%m/%d") if platform == "weibo" else day.isoformat(),
                p.campaign_id,
                p.campaign_name,
                _yuan(spend) if platform == "zhihu" else f"{spend}",
                impressions,
                clicks,
                engagements,
            ]
            for day, p, impressions, clicks, engagements, spend in _merge_by_campaign(_ad_rows(agg, platform))
        ]
        writer.csv(platform, "ads", f"{name}_{span}.csv", header, rows)
    rows = []
    for day, p, impressions, clicks, _, spend in _merge_by_campaign(_ad_rows(agg, "alimama")):
        claimed = money(agg.claims[("alimama", day, p.campaign_id)]["gmv"])
        rows.append([day.strftime("%Y%m%d"), p.campaign_id, f"{spend:,}", impressions, clicks, f"{claimed:,}"])
    writer.csv(
        "alimama",
        "ads",
        f"万相台_{span}.csv",
        ["日期", "计划ID", "花费", "展现量", "点击量", "成交金额"],
        rows,
        footer=["合计,,,,,"],
    )


# ------------------------------------------------------------------ Xiaohongshu
def _write_xiaohongshu(writer: Writer, world: World, agg: Aggregates) -> None:
    span = f"{world.start:%Y%m%d}-{world.end:%Y%m%d}"
    rows = []
    for day, p, impressions, clicks, engagements, spend in _ad_rows(agg, "xiaohongshu"):
        likes, collects, comments, shares, follows = _engagement_split(engagements, int(p.creative_id[-3:]))
        rows.append(
            [
                day.isoformat(),
                p.campaign_id,
                p.campaign_name,
                p.unit_id,
                p.creative_id,
                p.note_id,
                p.placement,
                f"{spend}",
                impressions,
                int(impressions * 0.82),
                clicks,
                _pct(clicks, impressions),
                _ratio(spend, clicks),
                engagements,
                _ratio(spend, engagements),
                likes,
                collects,
                comments,
                shares,
                follows,
                engagements // 40,
                _pct(agg.note[(day, p.note_id)]["搜索"], impressions),
            ]
        )
    writer.xlsx(
        "xiaohongshu",
        "juguang_ads",
        f"聚光_创意报表_{span}.xlsx",
        [
            "时间",
            "计划ID",
            "计划名称",
            "单元ID",
            "创意ID",
            "笔记ID",
            "广告类型",
            "消费",
            "展现量",
            "到达人数",
            "点击量",
            "点击率",
            "平均点击成本",
            "互动量",
            "平均互动成本",
            "点赞",
            "收藏",
            "评论",
            "分享",
            "关注",
            "私信咨询数",
            "回搜率",
        ],
        rows,
    )

    note_rows = []
    for (day, note_id), counts in sorted(agg.note.items()):
        engagements = counts["互动"]
        likes, collects, comments, shares, _ = _engagement_split(engagements, len(note_id))
        note_rows.append(
            [
                day.isoformat(),
                note_id,
                f"笔记{note_id[-4:]}",
                counts["曝光"],
                counts["点击"] + engagements,
                likes,
                collects,
                comments,
                shares,
                engagements // 30,
                counts["曝光"] // 6,
            ]
        )
    writer.csv(
        "xiaohongshu",
        "note_daily",
        f"笔记数据_{span}.csv",
        ["日期", "笔记ID", "笔记标题", "曝光", "阅读", "点赞", "收藏", "评论", "分享", "涨粉", "搜索曝光"],
        note_rows,
    )

    xhx_rows = [
        [
            day.isoformat(),
            note_id,
            campaign,
            int(c["jump_clicks"]),
            int(c["store_visitors"]),
            int(c["cart_adders"]),
            int(c["claimed_orders"]),
            f"{money(c['claimed_gmv'])}",
        ]
        for (day, note_id, campaign), c in sorted(agg.xhx.items())
    ]
    writer.csv(
        "xiaohongshu",
        "xiaohongxing",
        f"小红星_{span}.csv",
        ["日期", "笔记ID", "计划ID", "跳转点击", "进店访客数", "加购人数", "成交订单数", "成交金额"],
        xhx_rows,
    )

    writer.xlsx(
        "xiaohongshu",
        "pugongying_orders",
        f"蒲公英合作订单_{span}.xlsx",
        ["订单ID", "博主ID", "博主昵称", "粉丝数", "笔记ID", "合作形式", "订单金额", "平台服务费", "发布时间"],
        (
            [
                c.collab_order_id,
                c.creator_id,
                c.nickname,
                c.followers,
                c.note_id,
                c.form,
                c.fee,
                money(c.fee * Decimal("0.10")),
                f"{c.published:%Y-%m-%d} 12:00:00",
            ]
            for c in sorted(world.creators, key=lambda c: c.published)
        ),
    )


# ------------------------------------------------------------------ Tmall
def _write_tmall(writer: Writer, world: World, orders: list[Order], agg: Aggregates, as_of: datetime) -> None:
    tmall = [o for o in orders if o.store == "tmall"]
    span = f"{world.start:%Y%m%d}_{world.end:%Y%m%d}"
    header = [
        "订单编号",
        "买家会员名",
        "买家ID",
        "总金额",
        "买家实际支付金额",
        "平台优惠",
        "商家优惠",
        "订单状态",
        "订单创建时间",
        "订单付款时间",
        "支付方式",
        "收货人姓名",
        "联系手机",
        "收货地址",
        "物流公司",
        "物流单号",
        "渠道来源",
        "点击ID",
    ]
    # Written by hand: the real export leaves ="…" unquoted, which csv.writer would escape.
    path = writer.path("tmall", "orders", f"订单报表_{span}.csv")
    fh = path.open("w", encoding="gb18030", newline="")
    fh.write(",".join(header) + "\r\n")
    for o in tmall:
        c = o.consumer
        fh.write(
            ",".join(
                [
                    f'="{o.order_id}"',
                    c.nick,
                    c.buyer_id,
                    f"{o.gmv:.2f}",
                    f"{o.paid_amount:.2f}",
                    f"{o.platform_discount:.2f}",
                    f"{o.merchant_discount:.2f}",
                    status_at(o, as_of),
                    _ts(o.created_at),
                    _ts(o.paid_at) or "--",
                    o.payment_method or "--",
                    c.name,
                    c.phone,
                    c.address,
                    o.carrier or "",
                    f'="{o.waybill_no}"' if o.waybill_no else "",
                    o.source,
                    o.click_id or "",
                ]
            )
            + "\r\n"
        )
    totals = ["合计", "", "", f"{sum(o.gmv for o in tmall):.2f}", f"{sum(o.paid_amount for o in tmall):.2f}"]
    fh.write(",".join(totals + [""] * 13) + "\r\n")
    fh.close()
    writer.rows["tmall__orders"] += len(tmall)

    writer.csv(
        "tmall",
        "order_items",
        f"宝贝报表_{span}.csv",
        ["订单编号", "商品ID", "SKU编码", "标题", "价格", "购买数量", "商家编码"],
        (
            [
                f'="{o.order_id}"',
                line.sku[1],
                line.sku[0],
                line.sku[2],
                f"{line.sku[4]}",
                line.quantity,
                f"MC-{line.sku[0]}",
            ]
            for o in tmall
            for line in o.lines
        ),
        encoding="gb18030",
        newline="\r\n",
    )

    refunded = [o for o in tmall if o.refund and o.refund.requested_at < as_of]
    writer.csv(
        "tmall",
        "refunds",
        f"退款报表_{span}.csv",
        ["退款编号", "订单编号", "退款申请时间", "退款完结时间", "退款金额", "是否退货", "退款状态", "退款原因"],
        (
            [
                o.refund.refund_id,
                f'="{o.order_id}"',
                _ts(o.refund.requested_at),
                _ts(o.refund.finished_at) if o.refund.finished_at < as_of else "",
                f"{o.refund.amount}",
                "是" if o.refund.returned else "否",
                "退款成功" if o.refund.finished_at < as_of else "退款中",
                o.refund.reason,
            ]
            for o in refunded
        ),
        encoding="gb18030",
        newline="\r\n",
    )

    _write_sycm(writer, world, tmall, agg)


def _write_sycm(writer: Writer, world: World, tmall: list[Order], agg: Aggregates) -> None:
    """生意参谋 traffic sources: one XLSX per day, the day only in the 统计时间 preamble."""
    buyers = defaultdict(lambda: {"ordered": set(), "paid": set(), "amount": Decimal("0")})
    for o in tmall:
        b = buyers[(o.created_at.date(), o.source)]
        b["ordered"].add(o.customer)
        if o.paid_at and o.paid_at.date() == o.created_at.date():
            b["paid"].add(o.customer)
            b["amount"] += o.paid_amount
    groups = {
        "小红书": "站外投放",
        "抖音": "站外投放",
        "微博": "站外投放",
        "哔哩哔哩": "站外投放",
        "知乎": "站外投放",
        "万相台": "付费流量",
        "手淘搜索": "淘内免费",
        "淘内免费": "淘内免费",
        "手淘推荐": "淘内免费",
        "直接访问": "自主访问",
    }
    rng_base = world.seed * 7919
    for offset in range(world.days_count):
        day = world.start + timedelta(days=offset)
        rows = []
        for index, (source, group) in enumerate(groups.items()):
            visits = agg.visits[(day, source)]
            b = buyers[(day, source)]
            organic = (rng_base + offset * 31 + index * 17) % 120 + 40 if group in ("淘内免费", "自主访问") else 0
            visitors = max(visits["visitors"] + organic, len(b["ordered"]))
            paid = len(b["paid"])
            rows.append(
                [
                    group,
                    source,
                    visitors,
                    visits["carts"] + organic // 10,
                    organic // 12,
                    len(b["ordered"]),
                    paid,
                    f"{b['amount']:.2f}",
                    _pct(paid, visitors),
                ]
            )
        writer.xlsx(
            "tmall",
            "sycm_traffic",
            f"流量来源_{day:%Y%m%d}.xlsx",
            [
                "来源",
                "来源明细",
                "访客数",
                "加购人数",
                "收藏人数",
                "下单买家数",
                "支付买家数",
                "支付金额",
                "支付转化率",
            ],
            rows,
            preamble=[f"统计时间：{day:%Y-%m-%d} ~ {day:%Y-%m-%d}", "终端：全部终端"],
        )


# ------------------------------------------------------------------ Douyin shop
def _write_douyin_shop(writer: Writer, orders: list[Order], as_of: datetime) -> None:
    shop = [o for o in orders if o.store == "douyin_shop"]

    def status(o: Order) -> str:
        if o.paid_at is None:
            return "已关闭"
        if o.refund and o.refund.amount == o.paid_amount and o.refund.finished_at <= as_of:
            return "已关闭"
        return "已完成" if o.signed_at and o.signed_at <= as_of else "已发货"

    rows = []
    for o in shop:
        for i, line in enumerate(o.lines, start=1):
            share = line.amount / o.gmv
            rows.append(
                [
                    o.order_id,
                    f"{o.order_id[:-1]}{i}",
                    line.sku[1],
                    line.quantity,
                    _ts(o.created_at),
                    _ts(o.paid_at),
                    f"{money(o.paid_amount * share)}",
                    f"{money(o.platform_discount * share)}",
                    f"{money(o.merchant_discount * share)}",
                    o.creator_nickname or "",
                    o.traffic_type,
                    status(o) + "\t",
                ]
            )
    writer.csv(
        "douyin",
        "shop_orders",
        "抖店订单导出.csv",
        [
            "主订单编号",
            "子订单编号",
            "商品ID",
            "商品数量",
            "订单提交时间",
            "支付完成时间",
            "订单应付金额",
            "平台优惠",
            "商家优惠",
            "达人昵称",
            "流量来源",
            "订单状态",
        ],
        rows,
    )


# ------------------------------------------------------------------ money: bills
def _plant_discrepancies(world: World, orders: list[Order]) -> list[dict]:
    """A few genuine discrepancies, chosen deterministically, for reconciliation to find."""
    rng = world.rng
    paid = [o for o in orders if o.store == "tmall" and o.paid_at]
    alipay = [o for o in paid if o.payment_method in ("支付宝", "花呗")]
    wechat = [o for o in paid if o.payment_method == "微信支付"]
    shipped = [o for o in paid if o.waybill_no]
    refunded = [o for o in alipay if o.refund]
    planted: list[dict] = []

    def pick(pool, count, kind, **extra):
        taken = {p["order_id"] for p in planted}
        candidates = [o for o in pool if o.order_id not in taken]
        for o in rng.sample(candidates, min(count, len(candidates))):
            planted.append({"kind": kind, "order_id": o.order_id, **extra})

    pick(alipay, 2, "amount_mismatch", delta="-0.50")
    pick(alipay, 2, "missing_in_bill")
    pick(wechat, 2, "fee_rate_off", rate="0.0100")
    pick(refunded, 1, "refund_mismatch", delta="-5.00")
    pick(shipped, 1, "waybill_missing_in_bill")
    planted.append({"kind": "bill_without_order", "order_id": f"{4199999000000000000 + world.seed}", "bill": "alipay"})
    planted.append(
        {"kind": "waybill_without_order", "order_id": f"{4199999000000000001 + world.seed}", "bill": "cainiao"}
    )
    return planted


def _fee(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(FEE_PLACES, ROUND_HALF_UP)


def _write_bills(writer: Writer, world: World, orders: list[Order], as_of: datetime, planted: list[dict]) -> None:
    by_kind = defaultdict(dict)
    for p in planted:
        by_kind[p["kind"]][p["order_id"]] = p
    paid = [o for o in orders if o.store == "tmall" and o.paid_at]
    rng = world.rng

    # 支付宝账务明细: GBK, `#` preamble and footer, trailing tabs after every field.
    ledger = []
    for o in paid:
        if o.payment_method in ("支付宝", "花呗") and o.order_id not in by_kind["missing_in_bill"]:
            amount = o.paid_amount + Decimal(by_kind["amount_mismatch"].get(o.order_id, {}).get("delta", "0"))
            ledger.append((o.paid_at, o.order_id, "交易收款", amount, Decimal("0")))
            ledger.append(
                (
                    o.paid_at + timedelta(seconds=1),
                    o.order_id,
                    "服务费",
                    Decimal("0"),
                    money(o.paid_amount * PAYMENT_FEE_RATE),
                )
            )
        # A refund goes back the way the money came: WeChat Pay refunds are in the WeChat bill.
        if o.refund and o.refund.finished_at < as_of and o.payment_method in ("支付宝", "花呗"):
            amount = o.refund.amount + Decimal(by_kind["refund_mismatch"].get(o.order_id, {}).get("delta", "0"))
            ledger.append((o.refund.finished_at, o.order_id, "退款", Decimal("0"), amount))
        if o.signed_at and o.signed_at + timedelta(days=10) < as_of:
            settled_at = o.signed_at + timedelta(days=10)
            base = o.paid_amount - (o.refund.amount if o.refund else Decimal("0"))
            if base > 0:
                ledger.append((settled_at, o.order_id, "佣金", Decimal("0"), money(base * COMMISSION_RATE[o.category])))
                ledger.append(
                    (settled_at + timedelta(seconds=1), o.order_id, "积分", Decimal("0"), money(base * POINTS_RATE))
                )
    stray = next(p for p in planted if p["kind"] == "bill_without_order")
    ledger.append(
        (
            datetime.combine(world.start + timedelta(days=3), datetime.min.time()) + timedelta(hours=14),
            stray["order_id"],
            "交易收款",
            Decimal("88.00"),
            Decimal("0"),
        )
    )
    ledger.sort(key=lambda r: (r[0], r[1], r[2]))
    balance = Decimal("100000.00")
    rows = []
    for i, (ts, order_id, kind, income, expense) in enumerate(ledger, start=1):
        balance += income - expense
        rows.append(
            [
                f"2088{world.seed:04d}{i:012d}\t",
                f"{ts:%Y%m%d}2000{i:010d}\t",
                f"{order_id}\t",
                f"{_ts(ts)}\t",
                f"{income:.2f}\t" if income else "\t",
                f"-{expense:.2f}\t" if expense else "\t",
                f"{balance:.2f}\t",
                f"{kind}\t",
            ]
        )
    end_exclusive = world.end + timedelta(days=1)
    writer.csv(
        "alipay",
        "bill",
        f"20880000{world.seed:04d}_{world.start:%Y%m%d}_{world.end:%Y%m%d}_账务明细.csv",
        [
            "账务流水号",
            "业务流水号",
            "商户订单号",
            "发生时间",
            "收入金额（+元）",
            "支出金额（-元）",
            "账户余额（元）",
            "业务类型",
        ],
        rows,
        encoding="gb18030",
        newline="\r\n",
        preamble=[
            "#支付宝账务明细查询",
            "#账号：[20880000" + f"{world.seed:04d}" + "]",
            f"#起始日期：[{world.start:%Y年%m月%d日} 00:00:00]   终止日期：[{end_exclusive:%Y年%m月%d日} 00:00:00]",
            "#-----------------------------------------账务明细列表----------------------------------------",
        ],
        footer=[
            "#-----------------------------------------账务明细列表结束------------------------------------",
            f"#收入合计：{sum(r[3] for r in ledger):.2f}元",
            f"#支出合计：{sum(r[4] for r in ledger):.2f}元",
            f"#导出时间：[{as_of:%Y年%m月%d日 %H:%M:%S}]",
        ],
    )

    # 微信支付交易账单: every field behind a backtick, a summary block at the end.
    bill = []
    for o in paid:
        if o.payment_method != "微信支付":
            continue
        rate = Decimal(by_kind["fee_rate_off"].get(o.order_id, {}).get("rate", str(PAYMENT_FEE_RATE)))
        wx_id = f"42000{world.seed:03d}{int(o.order_id) % 10**20:020d}"[:28]
        bill.append(
            (o.paid_at, wx_id, o.order_id, "SUCCESS", o.paid_amount, Decimal("0"), _fee(o.paid_amount, rate), rate)
        )
        if o.refund and o.refund.finished_at < as_of:
            bill.append(
                (
                    o.refund.finished_at,
                    wx_id,
                    o.order_id,
                    "REFUND",
                    Decimal("0"),
                    o.refund.amount,
                    -_fee(o.refund.amount, rate),
                    rate,
                )
            )
    bill.sort(key=lambda r: (r[0], r[1], r[3]))
    rows = [
        [
            f"`{_ts(ts)}",
            f"`{wx}",
            f"`{order_id}",
            f"`{state}",
            f"`{settle:.2f}",
            f"`{refund:.2f}",
            f"`{fee:.5f}",
            f"`{rate * 100:.2f}%",
        ]
        for ts, wx, order_id, state, settle, refund, fee, rate in bill
    ]
    writer.csv(
        "wechatpay",
        "bill",
        f"微信支付账单_{world.start:%Y%m%d}_{world.end:%Y%m%d}.csv",
        ["交易时间", "微信订单号", "商户订单号", "交易状态", "应结订单金额", "退款金额", "手续费", "费率"],
        rows,
        footer=[
            "总交易单数,应结订单总金额,退款总金额,手续费总金额",
            f"`{len(bill)},`{sum(r[4] for r in bill):.2f},`{sum(r[5] for r in bill):.2f},"
            f"`{sum(r[6] for r in bill):.5f}",
        ],
    )

    # Logistics bills: JD as XLSX, Cainiao as CSV.
    for carrier, platform in (("京东物流", "jd_logistics"), ("菜鸟", "cainiao")):
        parcels = [
            o
            for o in paid
            if o.carrier == carrier and o.shipped_at < as_of and o.order_id not in by_kind["waybill_missing_in_bill"]
        ]
        rows = [
            [
                o.waybill_no,
                o.order_id,
                _ts(o.shipped_at),
                _ts(o.signed_at) if o.signed_at < as_of else "",
                o.weight_kg,
                o.freight,
                o.consumer.address[:3],
            ]
            for o in parcels
        ]
        if platform == "cainiao":
            stray = next(p for p in planted if p["kind"] == "waybill_without_order")
            rows.append(
                [
                    "YT" + str(rng.randint(10**11, 10**12 - 1)),
                    stray["order_id"],
                    _ts(datetime.combine(world.start + timedelta(days=5), datetime.min.time()) + timedelta(hours=9)),
                    "",
                    Decimal("1.10"),
                    Decimal("8.50"),
                    "浙江省",
                ]
            )
            rows.sort(key=lambda r: r[2])
            writer.csv(
                platform,
                "bill",
                f"菜鸟运费账单_{world.start:%Y%m}.csv",
                ["运单号", "订单号", "揽收时间", "签收时间", "重量(kg)", "运费(元)", "目的省份"],
                ([r[0], f'="{r[1]}"', r[2], r[3], f"{r[4]}", f"{r[5]}", r[6]] for r in rows),
            )
        else:
            writer.xlsx(
                platform,
                "bill",
                f"京东物流对账单_{world.start:%Y%m}.xlsx",
                ["运单号", "订单号", "揽收时间", "签收时间", "重量(kg)", "运费(元)", "目的省份"],
                rows,
            )


# ------------------------------------------------------------------ ground truth
def _write_truth(out: Path, touch_truth: list, incremental: dict, planted: list[dict], hazard_scale: float) -> None:
    truth = out / "_truth"
    truth.mkdir(exist_ok=True)

    def write(name: str, header: list[str], rows) -> None:
        with (truth / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)

    if touch_truth:  # small scale only: each touch of the 30 days before the order, with its share
        write(
            "order_touch_shares.csv",
            ["order_id", "oneid", "touch_platform", "event", "ts", "credited_platform", "hazard_share"],
            touch_truth,
        )
    write(
        "channel_incremental_revenue.csv",
        ["platform", "true_incremental_revenue", "effect_per_touch", "decay_days"],
        (
            [p, f"{money(incremental.get(p, Decimal('0')))}", effect * hazard_scale, decay]
            for p, (effect, decay) in PLATFORM_EFFECT.items()
        ),
    )
    write(
        "planted_discrepancies.csv",
        ["kind", "order_id", "detail"],
        (
            [p["kind"], p["order_id"], json.dumps({k: v for k, v in p.items() if k not in ("kind", "order_id")})]
            for p in planted
        ),
    )
