"""``livemon report``: totals, curves drawn, per product, alerts, command effects with honest
verdicts, per-host figures that add up exactly, questions; HTML looked at in Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from livemon import config, wire
from livemon.engine.metrics import METRICS
from livemon.hub import Hub
from livemon.record.recorder import room_dir_name
from livemon.report import build_report, render
from tests.review.conftest import ROOM, TOKENS, Live, record_live

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report(live: Live) -> dict:
    """The report of the shared live session."""
    return build_report(live.log, ROOM, config.load(), "live")


def test_report_totals_every_metric_and_the_live_numbers(report: dict, live: Live) -> None:
    """Totals hold every metric of ``livemon metrics --list`` under its snapshot key, with the
    live run's final values; curves have one row per minute; JSON carries them all."""
    assert list(report["totals"]) == list(METRICS)
    for key, v in report["totals"].items():
        assert v == live.snapshot["metrics"][key], key
    assert 30 <= len(report["minutes"]) <= 31  # the last, partial minute counts too
    assert sum(m["orders_1m"] for m in report["minutes"]) >= report["totals"]["orders"] - 5
    assert {"online", "orders_1m", "gmv_1m_cents", "conv_1m"} <= set(report["minutes"][0])
    assert json.loads(render.json_text(report)) == json.loads(json.dumps(report))
    products = {p["sku"]: p for p in report["products"]}
    assert sum(p["units"] for p in products.values()) == report["totals"]["units"]
    assert sum(p["featured_s"] for p in products.values()) > 1500
    assert products["22423"]["featured_s"] > 0


def test_alert_timeline_and_markers(report: dict, live: Live) -> None:
    """Every alert of the live run is in the timeline with its raise, ack and clear times."""
    live_ids = {a["id"] for a in live.alerts}
    assert {a["id"] for a in report["alerts"]} == live_ids
    acked = [a for a in live.alerts if a["state"] == "acked"]
    row = next(a for a in report["alerts"] if a["id"] == acked[0]["id"])
    assert row["acked"] == acked[0]["ts"]
    for a in report["alerts"]:
        if a["resolved"] is not None:
            assert a["resolved"] >= a["raised"]
    kinds = {m["kind"] for m in report["markers"]}
    assert kinds == {"alert", "command"}


def test_hosts_add_up_to_the_session(report: dict) -> None:
    """Per host GMV, orders, units, buyers and views add up exactly to the session totals."""
    hosts = {h["host"]: h for h in report["hosts"]}
    assert set(hosts) == {"(no host)", "Lin", "Mei"}
    assert all(report["hosts_add_up"].values()), report["hosts_add_up"]
    for key in ("gmv_cents", "orders", "buyers"):
        assert sum(h[key] for h in hosts.values()) == report["totals"][key]


async def test_a_shift_change_in_the_middle_of_a_second_splits_it_exactly(tmp_path: Path) -> None:
    """Orders of one second on both sides of a host change count for the host on air when
    they came in; a refund after the change comes off the host who took the order."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    t0 = 1_767_225_600.0

    def order(k: int, ts: float, price: int) -> dict:
        return {
            "type": "order",
            "room": ROOM,
            "ts": ts,
            "order_id": f"o{k}",
            "sku": "a",
            "qty": 1,
            "price_cents": price,
            "buyer": f"b{k}",
        }

    frames = [
        [
            {
                "type": "product",
                "room": ROOM,
                "ts": t0,
                "sku": "a",
                "name": "A",
                "price_cents": 100,
            },
            {"type": "viewers", "room": ROOM, "ts": t0, "online": 50, "total": 50},
            order(1, t0 + 10.2, 100),
            order(2, t0 + 10.4, 200),
        ],
        [
            order(3, t0 + 10.6, 400),
            order(4, t0 + 10.8, 800),
            {"type": "refund", "room": ROOM, "ts": t0 + 10.9, "order_id": "o1"},
            {"type": "viewers", "room": ROOM, "ts": t0 + 30, "online": 60, "total": 80},
        ],
    ]
    seq = 1
    await hub.execute({"id": "h1", "room": ROOM, "action": "host", "args": {"name": "Ann"}})
    for k, events in enumerate(frames):
        if k == 1:
            await hub.execute({"id": "h2", "room": ROOM, "action": "host", "args": {"name": "Bo"}})
        hub.ingest_frame("feed", ROOM, wire.encode_batch(seq, events))
        seq += len(events)
    await hub.stop()
    (log,) = (tmp_path / room_dir_name(ROOM)).glob("*.lmrec")
    report = build_report(log, ROOM, config.load())
    hosts = {h["host"]: h for h in report["hosts"]}
    assert (hosts["Ann"]["orders"], hosts["Ann"]["gmv_cents"]) == (1, 200)  # o1 refunded
    assert (hosts["Bo"]["orders"], hosts["Bo"]["gmv_cents"]) == (2, 1200)
    assert report["totals"]["gmv_cents"] == 1400 and all(report["hosts_add_up"].values())


async def test_coupon_verdicts_match_what_the_sim_does(tmp_path: Path) -> None:
    """On a sim whose coupons lift sales (and whose pins do nothing) the report says the
    coupon raised conversion clearly, the pin changed nothing clear, and a coupon in a
    near-empty room gives too few orders to tell."""
    sim = {"scenario": "steady", "seed": 4, "speed": "max", "duration": 1500, "viewers": 1500}
    script = [
        (400.0, {"action": "pin", "args": {"text": "welcome"}}),
        (900.0, {"action": "coupon", "args": {"discount_cents": 2000, "count": 1000}}),
    ]
    live = await record_live(tmp_path / "big", sim, script)
    report = build_report(live.log, ROOM, config.load())
    effect = {c["action"]: c["effect"][0] for c in report["commands"] if c["effect"]}
    coupon, pin = effect["coupon"], effect["pin"]
    assert coupon["verdict"].startswith("conversion rose"), coupon
    assert coupon["after"] > coupon["before"] and coupon["z"] >= 1.96
    assert pin["verdict"].startswith("no clear change"), pin
    small = await record_live(
        tmp_path / "small", {**sim, "viewers": 15, "duration": 900}, [(450.0, script[1][1])]
    )
    tiny = build_report(small.log, ROOM, config.load())
    (coupon,) = [c["effect"][0] for c in tiny["commands"] if c["action"] == "coupon"]
    assert coupon["verdict"].startswith("too few to tell"), coupon
    assert coupon["change"] is None


def test_questions_by_tag_with_examples(report: dict) -> None:
    """Top questions come by tag, most asked first, each with real comment examples."""
    tags = [q["tag"] for q in report["questions"]]
    assert tags and set(tags) <= {"price", "link", "size", "how_to_buy"}
    counts = [q["count"] for q in report["questions"]]
    assert counts == sorted(counts, reverse=True)
    assert all(1 <= len(q["examples"]) <= 3 for q in report["questions"])


def test_markdown_report_draws_curves_as_text(report: dict) -> None:
    """The Markdown form draws the four curves with plotext and has every table."""
    md = render.markdown(report, 100)
    assert md.count("```text") == 4
    assert re.search("[\u2800-\u28ff]{3}", md)  # braille dots of a drawn curve
    for title in (
        "## Totals",
        "## Products",
        "## Alerts",
        "## Commands and their effect",
        "## Per host",
        "## Questions",
    ):
        assert title in md
    assert "\x1b[" not in md  # no terminal colour codes in a file
    # Money reads as yuan, marked: the _cents keys' values are not cents.
    gmv = report["totals"]["gmv_cents"]
    assert f"| gmv_cents | ¥{gmv / 100:,.2f} |" in md


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run installs it)")
def test_html_report_in_headless_chromium_shows_the_curves(report: dict, tmp_path: Path) -> None:
    """The HTML report, opened in headless Chromium, shows its curves: each chart's SVG has
    drawn paths, and the screenshot has the curve's colour in the first chart's area."""
    from PIL import Image

    page = render.html(report)
    for key in ("online", "orders_1m", "gmv_1m_cents", "conv_1m"):
        chart = page.split(f"id='chart-{key}'>", 1)[1].split("</svg>", 1)[0]
        assert chart.count("<path") >= 3, key
    assert "src=" not in page and "<link" not in page  # self-contained: nothing to fetch
    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--window-size=1200,900",
                f"--screenshot={shot}",
                html_file.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    assert shot.exists(), "chromium wrote no screenshot"
    rgb = np.asarray(Image.open(shot).convert("RGB"), dtype=np.int32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # The curve's orange; not the red alert or the blue command markers, nor grey text.
    orange = (r > 150) & (g - b > 30) & (r - g > 80)
    assert orange[170:300].sum() > 300  # the first chart's plot area
    assert orange[:100].sum() == 0  # the page title: no curve there


def test_report_command_writes_each_format(live: Live, tmp_path: Path) -> None:
    """``livemon report PATH -o FILE`` writes HTML, Markdown or JSON by suffix or --format;
    a file that is not a recording gets exit 2 and a message."""
    for name, fmt in (("r.html", None), ("r.md", None), ("r.txt", "json")):
        out = tmp_path / name
        cmd = [sys.executable, "-m", "livemon.cli", "report", str(live.log), "-o", str(out)]
        done = subprocess.run(
            cmd + (["--format", fmt] if fmt else []), capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    assert (tmp_path / "r.md").read_text().startswith("# Session review")
    assert json.loads((tmp_path / "r.txt").read_text())["totals"]["orders"] > 0
    junk = tmp_path / "junk.lmrec"
    junk.write_bytes(b"not a recording at all")
    bad = subprocess.run(
        [sys.executable, "-m", "livemon.cli", "report", str(junk)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "not a livemon recording" in bad.stderr


def test_report_of_the_catalog_by_session_id(live: Live) -> None:
    """``livemon report --session ID --record-dir DIR --format json`` finds the recording."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "livemon.cli",
            "report",
            "--record-dir",
            str(live.record_dir),
            "--session",
            live.session,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["gmv_cents"] == live.snapshot["metrics"]["gmv_cents"]
