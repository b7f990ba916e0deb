"""Drawing a report: HTML with SVG curves (pygal), Markdown with terminal curves (plotext), JSON.

Each form shows the same numbers; the JSON is the report's data as it is.
"""

from __future__ import annotations

import html as html_mod
import json
import time
from typing import Any

from livemon.engine.metrics import METRICS

CURVES = [  # (key in a minute row, title, unit shown)
    ("online", "online viewers 在线 (minute average)", ""),
    ("orders_1m", "orders per minute 订单", ""),
    ("gmv_1m_cents", "GMV per minute 成交额", "cents"),
    ("conv_1m", "conversion: orders per 1,000 viewer-minutes 转化", ""),
]
LINE_COLOR = "#d9480f"  # the curves (a test looks for it in the screenshot)
ALERT_COLOR = "#c92a2a"
COMMAND_COLOR = "#1971c2"


def when(ts: float | None) -> str:
    """UTC wall time of an event time, ``HH:MM:SS``."""
    return "—" if ts is None else time.strftime("%H:%M:%S", time.gmtime(ts))


def value(key: str, v: Any) -> str:
    """A metric value as people read it: money in yuan (¥, two decimals; never the cents the
    key counts in), ratios as percent."""
    if v is None:
        return "—"
    if key.endswith("_cents"):
        return f"¥{v / 100:,.2f}"
    if key == "conv_session":
        return f"{v:.2%}"
    if isinstance(v, float):
        return f"{v:,.3f}".rstrip("0").rstrip(".")
    return f"{v:,}"


def duration(seconds: float) -> str:
    """``3h 05m`` or ``12m 30s``."""
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m:02d}m" if h else f"{m}m {s:02d}s"


def headline(report: dict[str, Any]) -> str:
    """Room, start (UTC), duration, GMV and peak online in one line."""
    totals = report["totals"]
    start = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(report["first_ts"] or 0))
    return (
        f"room {report['room']} · {start} · {duration(report['duration_s'])} · "
        f"GMV {value('gmv_cents', totals.get('gmv_cents'))} · "
        f"peak online {value('online_peak', totals.get('online_peak'))}"
    )


def json_text(report: dict[str, Any]) -> str:
    """The report as JSON (every number of the HTML form)."""
    return json.dumps(report, ensure_ascii=False, indent=1)


# -- tables shared by HTML and Markdown ------------------------------------------------


def _tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]], str]]:
    """(title, header, rows, note) of every table of the report, in order."""
    totals = report["totals"]
    out = [
        (
            "Totals",
            ["metric", "value", "meaning"],
            [[k, value(k, totals.get(k)), METRICS.get(k, "")] for k in totals],
            "",
        )
    ]
    out.append(
        (
            "Products",
            [
                "sku",
                "name",
                "units",
                "GMV",
                "featured",
                "conversion while featured",
                "out of stock",
                "lost units (est.)",
                "lost GMV (est.)",
            ],
            [
                [
                    p["sku"],
                    str(p["name"]),
                    value("units", p["units"]),
                    value("gmv_cents", p["gmv_cents"]),
                    duration(p["featured_s"]),
                    value("conv_1m", p["conv_featured"]),
                    duration(p["out_of_stock_s"]),
                    f"{p['lost_units_est']:,.1f}",
                    value("gmv_cents", p["lost_gmv_cents_est"]),
                ]
                for p in report["products"]
            ],
            "Conversion: orders of the product per 1,000 viewer-minutes while it was featured. "
            "Lost sales: " + report["lost_sales_method"],
        )
    )
    out.append(
        (
            "Alerts",
            ["kind", "sku", "severity", "raised", "escalated", "acked", "resolved", "detail"],
            [
                [
                    a["kind"],
                    a["sku"] or "",
                    a["severity"],
                    when(a["raised"]),
                    when(a["escalated"]),
                    when(a["acked"]),
                    when(a["resolved"]),
                    a["detail"],
                ]
                for a in report["alerts"]
            ],
            "" if report["alerts"] else "No alerts in this session.",
        )
    )
    rows = []
    for c in report["commands"]:
        effects = c["effect"] or [
            {
                "metric": "",
                "before": None,
                "after": None,
                "verdict": "no effect measured" if c["ok"] else "refused",
            }
        ]
        for k, e in enumerate(effects):
            head = [when(c["ts"]), c["label"], "ok" if c["ok"] else f"refused: {c['detail']}"]
            rows.append(
                [
                    *(head if k == 0 else ["", "", ""]),
                    e["metric"],
                    value("", e["before"]),
                    value("", e["after"]),
                    e["verdict"],
                ]
            )
    out.append(
        (
            "Commands and their effect",
            ["at", "command", "result", "metric", "5 min before", "5 min after", "verdict"],
            rows,
            "Conversion in orders per 1,000 viewer-minutes, online as the mean level; a change is "
            "clear when chance alone would give it less than 1 time in 20 (orders are counted as "
            "Poisson events against viewer-minutes).",
        )
    )
    if report["hosts"]:
        hosts = report["hosts"]
        rows = [
            [
                h["host"],
                value("gmv_cents", h["gmv_cents"]),
                value("orders", h["orders"]),
                value("buyers", h["buyers"]),
                value("online", h["online"]),
                value("online_peak", h["online_peak"]),
                value("conv_1m", h["conv_1m"]),
                value("gpm_cents", h["gpm_cents"]),
                duration(h["seconds"]),
            ]
            for h in hosts
        ]
        t = report["totals"]
        rows.append(
            [
                "session",
                value("gmv_cents", t["gmv_cents"]),
                value("orders", t["orders"]),
                value("buyers", t["buyers"]),
                "",
                value("online_peak", t["online_peak"]),
                "",
                value("gpm_cents", t["gpm_cents"]),
                duration(report["duration_s"]),
            ]
        )
        adds = ", ".join(
            f"{k} {'adds up' if ok else 'DOES NOT add up'}"
            for k, ok in report.get("hosts_add_up", {}).items()
        )
        out.append(
            (
                "Per host",
                [
                    "host",
                    "GMV",
                    "orders",
                    "buyers",
                    "avg online",
                    "peak online",
                    "conversion",
                    "GPM",
                    "on air",
                ],
                rows,
                "Orders count for the host on air when they came in (a refund comes off the same "
                "host); buyers are counted where they first bought; GPM is GMV per 1,000 views "
                f"gained during the shift. Checked against the session totals: {adds}.",
            )
        )
    out.append(
        (
            "Questions",
            ["tag", "comments", "examples"],
            [
                [q["tag"], value("", q["count"]), " | ".join(q["examples"])]
                for q in report["questions"]
            ],
            "" if report["questions"] else "No tagged questions in the comments.",
        )
    )
    return out


# -- HTML ------------------------------------------------------------------------------


def _svg(report: dict[str, Any], key: str, title: str) -> str:
    import pygal
    from pygal.style import Style

    minutes = report["minutes"]
    points = [(m["minute"], m[key]) for m in minutes if m[key] is not None]
    top = max((v for _, v in points), default=1) or 1
    style = Style(
        background="white",
        plot_background="white",
        foreground="#333",
        foreground_strong="#111",
        foreground_subtle="#ddd",
        colors=(LINE_COLOR, ALERT_COLOR, COMMAND_COLOR),
        font_family="sans-serif",
        opacity="1",
        opacity_hover="1",
    )
    chart = pygal.XY(
        width=1000,
        height=260,
        style=style,
        title=title,
        show_dots=False,
        allow_interruptions=True,
        js=[],
        disable_xml_declaration=True,
        x_title="minutes from start",
        legend_at_bottom=True,
        stroke=True,
        truncate_legend=-1,
        explicit_size=True,
    )
    if key == "gmv_1m_cents":
        points = [(x, v / 100) for x, v in points]
        top /= 100
    chart.add(title.split(":")[0], points, stroke_style={"width": 3})
    for kind, name in (("alert", "alerts raised"), ("command", "commands")):
        lines: list[tuple[float, float] | tuple[None, None]] = []
        for m in report["markers"]:
            if m["kind"] == kind:
                lines += [(m["minute"], 0), (m["minute"], top), (None, None)]
        chart.add(name, lines or [(None, None)], stroke_style={"width": 1, "dasharray": "4,3"})
    return chart.render(is_unicode=True)


CSS = """
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1100px; }
h1 { font-size: 1.4em; margin: 0 0 .2em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.meta { color: #555; margin-bottom: 1em; }
table { border-collapse: collapse; font-size: .85em; margin: .4em 0; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f1f3f5; } td.n { text-align: right; }
.note { color: #555; font-size: .85em; max-width: 1000px; }
.chart { margin: .3em 0; }
"""


def html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (inline SVG, no scripts, no links)."""
    e = html_mod.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>livemon review · {e(report['title'])}</title><style>{CSS}</style></head><body>",
        f"<h1>Session review 复盘 · {e(report['title'])}</h1>",
        f"<div class='meta'>{e(headline(report))}</div>",
        "<h2>Curves per minute</h2>",
    ]
    for key, title, _ in CURVES:
        parts.append(f"<div class='chart' id='chart-{key}'>{_svg(report, key, title)}</div>")
    parts.append(
        "<p class='note'>Dashed lines: red where an alert was raised, blue where a "
        "command was carried out (see the tables below).</p>"
    )
    for title, header, rows, note in _tables(report):
        parts.append(f"<h2>{e(title)}</h2>")
        if rows:
            parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
            for row in rows:
                parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
            parts.append("</table>")
        if note:
            parts.append(f"<p class='note'>{e(note)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


# -- Markdown --------------------------------------------------------------------------


def _plot(report: dict[str, Any], key: str, title: str, width: int = 100) -> str:
    import plotext as plt

    points = [(m["minute"], m[key]) for m in report["minutes"] if m[key] is not None]
    plt.clear_figure()
    plt.plotsize(width, 16)
    plt.theme("clear")
    if points:
        xs, ys = zip(*points, strict=True)
        if key == "gmv_1m_cents":
            ys = tuple(v / 100 for v in ys)
        plt.plot(xs, ys, marker="braille")
        top = max(ys)
        for m in report["markers"]:
            if m["kind"] == "command":
                plt.vline(m["minute"])
            else:
                plt.scatter([m["minute"]], [top], marker="!")
    plt.title(title)
    plt.xlabel("minutes from start   (│ command   ! alert raised)")
    return plt.uncolorize(plt.build())


def markdown(report: dict[str, Any], width: int = 100) -> str:
    """The report as Markdown, its curves drawn as text for a terminal."""
    lines = [
        f"# Session review 复盘 · {report['title']}",
        "",
        headline(report),
        "",
        "## Curves per minute",
        "",
    ]
    for key, title, _ in CURVES:
        lines += ["```text", _plot(report, key, title, width).rstrip(), "```", ""]
    for title, header, rows, note in _tables(report):
        lines += [f"## {title}", ""]
        if rows:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            for row in rows:
                cells = [str(c).replace("|", "/").replace("\n", " ") for c in row]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        if note:
            lines += [note, ""]
    return "\n".join(lines)
