"""Write a simulated world as the platforms' own export files, quirks included."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from zhongcao.generate.world import World, simulate

TMALL_ORDER_HEADER = [
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
JUGUANG_HEADER = [
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
]


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _ratio(numerator: Decimal | int, denominator: int) -> Decimal | None:
    return (Decimal(numerator) / denominator).quantize(Decimal("0.01")) if denominator else None


def write_tmall_orders(world: World, out: Path) -> Path:
    """千牛 order report: GBK, Excel-safe ="…" ids, `--` for empty cells, a 合计 footer."""
    path = out / "tmall" / "orders" / f"订单报表_{world.start:%Y%m%d}_{world.end:%Y%m%d}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written by hand, not csv.writer: the real export leaves ="…" unquoted, which csv would escape.
    lines = [",".join(TMALL_ORDER_HEADER)]
    for o in world.orders:
        lines.append(
            ",".join(
                [
                    f'="{o.order_id}"',
                    o.buyer_nick,
                    o.buyer_oneid,
                    f"{o.gmv:.2f}",
                    f"{o.paid_amount:.2f}",
                    f"{o.platform_discount:.2f}",
                    f"{o.merchant_discount:.2f}",
                    o.status,
                    _ts(o.created_at),
                    _ts(o.paid_at) or "--",
                    o.payment_method or "--",
                    o.receiver_name,
                    o.receiver_phone,
                    o.receiver_address,
                    o.carrier or "",
                    f'="{o.waybill_no}"' if o.waybill_no else "",
                    o.source,
                    o.click_id or "",
                ]
            )
        )
    total_gmv = sum(o.gmv for o in world.orders)
    total_paid = sum(o.paid_amount for o in world.orders)
    lines.append(",".join(["合计", "", "", f"{total_gmv:.2f}", f"{total_paid:.2f}"] + [""] * 13))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path


def write_juguang_ads(world: World, out: Path) -> Path:
    """聚光 creative-level report as XLSX: ids as text, rates as `3.21%`, `--` for no value."""
    import xlsxwriter

    path = out / "xiaohongshu" / "juguang_ads" / f"聚光_创意报表_{world.start:%Y%m%d}-{world.end:%Y%m%d}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = workbook.add_worksheet("创意报表")
    sheet.write_row(0, 0, JUGUANG_HEADER)
    for r, a in enumerate(world.ad_days, start=1):
        c = a.creative
        ctr = _ratio(Decimal(a.clicks) * 100, a.impressions)
        cpc = _ratio(a.spend, a.clicks)
        cpe = _ratio(a.spend, a.engagements)
        row = [
            a.day.strftime("%Y-%m-%d"),
            c.campaign_id,
            c.campaign_name,
            c.unit_id,
            c.creative_id,
            c.note_id,
            c.placement,
            f"{a.spend:.2f}",
            a.impressions,
            a.reach,
            a.clicks,
            f"{ctr}%" if ctr is not None else "--",
            f"{cpc}" if cpc is not None else "--",
            a.engagements,
            f"{cpe}" if cpe is not None else "--",
            a.likes,
            a.collects,
            a.comments,
            a.shares,
            a.follows,
            a.dm_inquiries,
            f"{a.search_back_rate * 100:.2f}%",
        ]
        for col, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, value)
    workbook.close()
    return path


def generate(out: Path, start, days: int, seed: int) -> dict:
    world = simulate(start, days, seed)
    files = [write_tmall_orders(world, out), write_juguang_ads(world, out)]
    manifest = {
        "generator": "zhongcao.generate",
        "seed": seed,
        "start": world.start.isoformat(),
        "end": world.end.isoformat(),
        "files": [str(p.relative_to(out)) for p in files],
        "rows": {"tmall__orders": len(world.orders), "xiaohongshu__juguang_ads": len(world.ad_days)},
        "totals": {
            "xiaohongshu__juguang_ads.spend": str(sum(a.spend for a in world.ad_days)),
            "xiaohongshu__juguang_ads.clicks": sum(a.clicks for a in world.ad_days),
            "tmall__orders.paid_amount_of_paid_orders": str(sum(o.paid_amount for o in world.orders if o.paid_at)),
            "tmall__orders.paid_orders": sum(1 for o in world.orders if o.paid_at),
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest
