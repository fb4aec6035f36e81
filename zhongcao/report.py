"""A self-contained HTML report of a published BI file: funnel, AIPL flows, channel ROI by
attribution model, platform claims vs reality, the P&L waterfall and reconciliation status.

Charts are Plotly figures; plotly.js is embedded once in the page (no CDN: the report opens
offline, in a mail attachment or from a shared drive). Everything is read from the published
file, so the report shows exactly the numbers BI tools see.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

REPORT_NAME = "zhongcao_report.html"
FUNNEL_STAGES = [
    ("impressions", "Impressions 曝光"),
    ("engagements", "Engagements 互动"),
    ("clicks", "Clicks 点击"),
    ("store_visits", "Store visits 进店"),
    ("add_to_carts", "Add to cart 加购"),
    ("orders_placed", "Orders 下单"),
    ("orders_paid", "Payments 支付"),
    ("orders_delivered", "Deliveries 签收"),
]
WATERFALL = [
    ("gmv", "GMV 成交金额", "absolute"),
    ("merchant_discount", "Merchant discounts 商家优惠", "relative", -1),
    ("refund_amount", "Refunds 退款", "relative", -1),
    ("net_revenue", "Net revenue 净收入", "total"),
    ("cogs", "COGS 成本", "relative", -1),
    ("platform_fees", "Platform fees 佣金/积分", "relative", -1),
    ("payment_fee", "Payment fees 支付手续费", "relative", -1),
    ("logistics_cost", "Logistics 物流", "relative", -1),
    ("cm2", "CM2", "total"),
    ("marketing_cost", "Marketing 营销", "relative", -1),
    ("cm3", "CM3", "total"),
]


@dataclass(frozen=True)
class Chart:
    title: str
    explanation: str
    figure: object  # plotly.graph_objects.Figure


def _number(value) -> float:
    # Plotly draws floats; the money stays DECIMAL in the warehouse and in the BI file.
    return float(value) if isinstance(value, Decimal) else (value or 0)


def _funnel(con) -> Chart:
    import plotly.graph_objects as go

    totals = con.execute(
        "select "
        + ", ".join(f"coalesce(sum({column}), 0)" for column, _ in FUNNEL_STAGES)
        + " from mart_funnel_content_daily"
    ).fetchone()
    figure = go.Figure(go.Funnel(y=[label for _, label in FUNNEL_STAGES], x=[_number(v) for v in totals]))
    return Chart("Funnel 漏斗", "Every stage over the whole period, all platforms (mart_funnel_content_daily).", figure)


def _aipl(con) -> Chart:
    import plotly.graph_objects as go

    flows = con.execute(
        "select from_state, to_state, sum(consumers) from mart_aipl_flows_daily where category = 'all' "
        "group by all order by all"
    ).fetchall()
    states = ["none", "A", "I", "P", "L"]
    names = {"none": "new 新", "A": "A aware 认知", "I": "I interest 兴趣", "P": "P purchase 购买", "L": "L loyal 忠诚"}
    figure = go.Figure(
        go.Sankey(
            node={"label": [names[s] for s in states], "pad": 20},
            link={
                "source": [states.index(a) for a, _, _ in flows],
                "target": [states.index(b) for _, b, _ in flows],
                "value": [_number(n) for _, _, n in flows],
            },
        )
    )
    return Chart(
        "AIPL flows 消费者资产流转", "Consumers moving between states over the period (mart_aipl_flows_daily).", figure
    )


def _roi(con) -> Chart:
    import plotly.graph_objects as go

    rows = con.execute(
        "select attribution_model, channel, sum(attributed_net_revenue) / nullif(sum(spend), 0) "
        "from mart_attribution_roi where is_default_window and channel <> 'direct_or_organic' "
        "group by all having sum(spend) > 0 order by all"
    ).fetchall()
    figure = go.Figure()
    for model in sorted({m for m, _, _ in rows}):
        points = [(c, v) for m, c, v in rows if m == model]
        figure.add_trace(go.Bar(name=model, x=[c for c, _ in points], y=[_number(v) for _, v in points]))
    figure.update_layout(barmode="group", yaxis_title="net ROAS (attributed net revenue / spend)")
    return Chart(
        "Channel ROI by attribution model 渠道 ROI",
        "Net ROAS per channel under each of the seven models, default lookback window (mart_attribution_roi).",
        figure,
    )


def _claims(con) -> Chart:
    import plotly.graph_objects as go

    rows = con.execute(
        "select platform, sum(claimed_gmv), sum(attributed_paid_amount) from mart_platform_claims "
        "group by all order by all"
    ).fetchall()
    figure = go.Figure(
        [
            go.Bar(
                name="claimed by the platform 平台自报", x=[p for p, _, _ in rows], y=[_number(c) for _, c, _ in rows]
            ),
            go.Bar(name="de-duplicated 去重", x=[p for p, _, _ in rows], y=[_number(a) for _, _, a in rows]),
        ]
    )
    figure.update_layout(barmode="group", yaxis_title="GMV, RMB")
    ratio = con.execute(
        "select sum(claimed_orders) / nullif(sum(distinct_actual), 0) from (select date_day, sum(claimed_orders) "
        "as claimed_orders, any_value(actual_orders) as distinct_actual from mart_platform_claims group by date_day)"
    ).fetchone()[0]
    explanation = "What 小红星, 千川 and 万相台 claim beside their de-duplicated share (mart_platform_claims)."
    if ratio is not None:
        explanation += f" Over-claim ratio of the period: {_number(ratio):.2f}× the orders actually paid."
    return Chart("Platform claims vs reality 平台自报 vs 实际", explanation, figure)


def _waterfall(con) -> Chart:
    import plotly.graph_objects as go

    columns = [step[0] for step in WATERFALL]
    totals = dict(
        zip(
            columns,
            con.execute(
                "select " + ", ".join(f"coalesce(sum({c}), 0)" for c in columns) + " from mart_pnl_periods "
                "where period_grain = 'year'"
            ).fetchone(),
            strict=True,
        )
    )
    measures, values = [], []
    for column, _, measure, *sign in WATERFALL:
        measures.append(measure)
        values.append(_number(totals[column]) * (sign[0] if sign else 1) if measure != "total" else 0)
    figure = go.Figure(go.Waterfall(x=[label for _, label, *_ in WATERFALL], measure=measures, y=values))
    return Chart("P&L waterfall 利润瀑布", "GMV down to CM3 over the period, both stores (mart_pnl_periods).", figure)


def _reconciliation(con) -> Chart:
    import plotly.graph_objects as go

    rows = con.execute(
        "select check_type, status, count(*) from fct_settlement_checks group by all order by all"
    ).fetchall()
    figure = go.Figure()
    for status in sorted({s for _, s, _ in rows}, key=lambda s: (s != "matched", s)):
        points = [(t, n) for t, s, n in rows if s == status]
        figure.add_trace(go.Bar(name=status, x=[t for t, _ in points], y=[n for _, n in points]))
    figure.update_layout(barmode="stack", yaxis_title="checks")
    discrepancies = sum(n for _, s, n in rows if s != "matched")
    return Chart(
        "Reconciliation status 对账",
        f"Orders against the Alipay / WeChat Pay bills and the freight bills (fct_settlement_checks): "
        f"{discrepancies} discrepancies to look at.",
        figure,
    )


def write_report(published: Path, out: Path | None = None, run_id: str = "") -> Path:
    """Write the report of the published BI file beside it (or to `out`); returns its path."""
    out = out or published.with_name(REPORT_NAME)
    con = duckdb.connect(str(published), read_only=True)
    try:
        charts = [builder(con) for builder in (_funnel, _aipl, _roi, _claims, _waterfall, _reconciliation)]
        published_at = con.execute("select max(published_at) from _publication").fetchone()[0]
    finally:
        con.close()
    sections = []
    for index, chart in enumerate(charts):
        chart.figure.update_layout(margin={"t": 30, "b": 40}, height=420)
        body = chart.figure.to_html(
            full_html=False, include_plotlyjs="inline" if index == 0 else False, div_id=f"chart-{index + 1}"
        )
        sections.append(
            f'<section class="chart"><h2>{html.escape(chart.title)}</h2>'
            f"<p>{html.escape(chart.explanation)}</p>{body}</section>"
        )
    written = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>zhongcao 种草 report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}}
h1{{margin-bottom:0}} .meta{{color:#666}} section.chart{{margin:2.5em 0}}</style></head>
<body><h1>zhongcao 种草 — which content actually sells</h1>
<p class="meta">From {html.escape(str(published))}, published {html.escape(str(published_at))}
{f"by run {html.escape(run_id)}" if run_id else ""}; report written {written}.</p>
{"".join(sections)}
</body></html>
"""
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out)  # a reader of the old report never sees half a page
    return out
