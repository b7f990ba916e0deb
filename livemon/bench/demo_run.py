"""What ``livemon run`` plays, scored: the demo's own incidents against the alerts the hub raised.

The demo is built exactly as ``livemon run`` builds it (the same config file
and ``--set`` overrides, the same ``[adapters.sim]`` options, the same
``Hub`` with the adapter embedded); only the pacing differs: the sim runs at
``max`` instead of the configured ``speed``. Speed only sets when a batch is
sent, never what is in it (one simulated second per batch at any speed), and
every detector runs on event time, so the alerts are those of the demo.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from livemon import config as config_mod
from plugins.sim.scenarios import ALERT_KIND

HORIZON_S = {"conversion_drop": 900, "viewer_drop": 300, "comment_surge": 180,
             "tech_issue": 120, "stock_out": 60, "stock_low": 60}  # fmt: skip


def demo_config(path: str | None, sets: list[str] | tuple[str, ...] = ()) -> config_mod.Config:
    """The config ``livemon run --config path --set ...`` uses."""
    return config_mod.load(path, list(sets), adapters=("sim",))


async def _play(cfg: config_mod.Config, room: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from livemon.cli import _adapter_options, _make_adapter
    from livemon.hub import Hub
    from livemon.record import Catalog

    options = _adapter_options(cfg, "sim")
    speed = options.get("speed")
    options["speed"] = "max"  # pacing only: see the module docstring
    adapter = _make_adapter("sim", room, options)
    with tempfile.TemporaryDirectory(prefix="livemon-demo-") as tmp:
        hub = Hub(cfg, tmp)
        await hub.run_adapter(adapter)
        await hub.stop()
        catalog = Catalog(Path(tmp))
        rows = list(catalog.db.query("select * from alerts order by ts"))
        catalog.close()
    truth = adapter.ground_truth
    truth["options"]["speed"] = speed
    return rows, truth


def play(cfg: dict[str, Any], room: str = "room-1") -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every alert row the demo's hub recorded, and the sim's ground truth."""
    return asyncio.run(_play(cfg, room))


def score(rows: list[dict[str, Any]], truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Per injected incident: the alert kind expected and the delay of the first match, or None."""
    opened: dict[str, dict[str, Any]] = {}
    for row in rows:
        opened.setdefault(row["id"], row)
    out = []
    for incident in truth["incidents"]:
        kind = ALERT_KIND.get(incident["kind"], incident["kind"])
        horizon = HORIZON_S.get(kind, 60)
        # stock_low is a forecast: its alert may come before the sim's own threshold.
        early = 300 if kind == "stock_low" else 1e-6
        hits = [a["since"] - incident["ts"] for a in opened.values()
                if a["kind"] == kind and (incident["sku"] is None or a["sku"] == incident["sku"])
                and incident["ts"] - early <= a["since"] <= incident["ts"] + horizon]  # fmt: skip
        out.append({"kind": kind, "at": incident["ts"] - truth["start"], "sku": incident["sku"],
                    "delay": min(hits) if hits else None})  # fmt: skip
    return out


def table(cfg: dict[str, Any]) -> list[str]:
    """The printed lines: the demo's settings, then one line per incident."""
    rows, truth = play(cfg)
    o = truth["options"]
    lines = [f"the demo (livemon run): scenario {truth['scenario']}, seed {truth['seed']}, "
             f"{truth['duration']:g} s, incident_at {o['incident_at']:g}, speed {o['speed']} "
             f"(played at max: same frames), {o['viewers']} viewers"]  # fmt: skip
    for s in score(rows, truth):
        found = "MISSED" if s["delay"] is None else f"alert after {s['delay']:.1f} s"
        lines.append(f"  {s['kind']:15} at {s['at']:7.1f} s  {found}")
    return lines
