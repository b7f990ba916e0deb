"""The alert kinds and when each fires (served by ``livemon metrics --list`` and docs/metrics.md).

Thresholds are named by their config keys ([detect.*] in docs/config.md), so
the text stays true when a default changes.
"""

from __future__ import annotations

ALERT_KINDS: dict[str, str] = {
    "conversion_drop": "orders per viewer-second fall below their slow baseline, significantly "
                       "for Poisson counts (one CUSUM per size in [detect.conversion_drop] drops, "
                       "thresholds set for fa_per_h false alarms an hour; not one missing order "
                       "in a quiet minute); crit past crit_drop; seconds with a live coupon are "
                       "left out; names its cause and suggests that cause's answer: the featured "
                       "product sold out (restock), a product switch (feature the previous one "
                       "again), a viewer drop (pin the offer), else a coupon",
    "viewer_drop": "online falls [detect.viewer_drop] warn_drop below its reference (the higher "
                   "of the 5-minute baseline and the level 15-45 s ago), beyond noise; crit past "
                   "crit_drop",
    "stock_low": "a product's stock lasts less than [detect.stock] low_eta_s at its 1-minute "
                 "rate, or fewer than low_floor units are left; crit under half of low_eta_s; "
                 "suggests a restock of restock_minutes of sales",
    "stock_out": "a listed product's stock reaches 0 (crit if it is the featured one); "
                 "suggests featuring the best seller in stock",
    "oversell": "an order arrives for more units than the product has in stock",
    "comment_surge": "comments per viewer-minute over [detect.comment_surge] window_s reach "
                     "factor x their baseline (and min_per_min); shows sample questions",
    "tech_issue": "at least [detect.tech_issue] min_users distinct viewers complain of lag, no "
                  "sound or a black screen within window_s; crit from crit_users",
    "adapter_down": "a live room's feed is down, or its adapter silent or disconnected, for more "
                    "than [detect.adapter_down] silence_s of wall-clock time",
    "behind_target": "the worst target's projection at the scheduled end (smoothed pace, see "
                     "targets) stays under [detect.behind_target] share of it for sustain_s "
                     "(after warmup_s); resolves at clear_share for sustain_s; crit under "
                     "crit_share; suggests the coupon template set there",
    "disk": "the recording cannot be written (full disk, failing fsync); crit in every room "
            "until a write succeeds",
    "rule:<name>": "a rule of [[detect.rules]] whose condition held for_s closed seconds in a "
                   "row: its severity, message and suggested action (livemon metrics --list "
                   "lists the rules in force)",
}  # fmt: skip
