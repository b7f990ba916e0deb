"""Named scenarios: which incidents are injected into the simulated room, and when.

An incident's ``kind`` is what the room does at its time (``room.SimRoom``
carries it out); the alert the hub should raise is given by ``ALERT_KIND``.
Each scenario is a list of (kind, seconds after ``incident_at``): a single
incident is injected at ``incident_at``; ``mixed`` spaces several around it
by fixed gaps (not multiples of ``incident_at``: with the demo's early
``incident_at`` those left a conversion drop 120 s before a flash sale's
coupon paused its test, too little for any test to see it), the conversion
drop well before the viewer drop so that neither explains the other, and
the stock-out last so that its lasting effect on orders hides nothing else.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SCENARIOS: dict[str, tuple[tuple[str, float], ...]] = {
    "steady": (),
    "conversion_drop": (("conversion_drop", 0.0),),
    "viewer_drop": (("viewer_drop", 0.0),),
    "stockout": (("stockout", 0.0),),
    "flash_sale": (("flash_sale", 0.0),),
    "tech_issue": (("tech_issue", 0.0),),
    # Causes of a conversion drop that a coupon does not answer:
    "product_switch": (("product_switch", 0.0),),  # a product that sells worse is featured
    "audience_loss": (("viewer_drop", 0.0), ("conversion_drop", 20.0)),  # buyers leave first
    "mixed": (
        ("tech_issue", -300.0),
        ("conversion_drop", 0.0),
        ("viewer_drop", 420.0),
        ("flash_sale", 720.0),
        ("stockout", 1020.0),
    ),
}

# The alert kind (docs/protocol.md) each injected incident should raise.
ALERT_KIND = {
    "conversion_drop": "conversion_drop",
    "viewer_drop": "viewer_drop",
    "stockout": "stock_out",
    "flash_sale": "comment_surge",
    "tech_issue": "tech_issue",
    "product_switch": "conversion_drop",
}

# Sizes of the incidents.
VIEWER_DROP_SHARE = 0.4  # online falls by this share...
VIEWER_DROP_S = 10  # ...over this many seconds, and stays down
STOCKOUT_SUPPLY_S = (180.0, 300.0)  # stock left after the injection lasts this long
TECH_ISSUE_S = 60
TECH_ISSUE_PER_VIEWER_MIN = 0.03  # lag comments per online viewer per minute while it lasts
TECH_ISSUE_MIN_PER_S = 0.3  # ...and at least this many per second, so small rooms show it
FLASH_SALE_DISCOUNT = 0.2  # share of the featured price taken off, store-wide
FLASH_SALE_EXPIRES_S = 600.0
FLASH_SALE_SURGE_S = 240
FLASH_SALE_COMMENTS = 4.0  # comment rate multiple during the surge
FLASH_SALE_QUESTIONS = 0.7  # share of surge comments that are price / link questions


@dataclass(frozen=True)
class Injection:
    """One incident to inject: its kind and its time in seconds after the start."""

    kind: str
    at: float


def default_incident_at(seed: int, duration: float) -> float:
    """A whole second between 35% and 60% of ``duration``, chosen by ``seed`` alone.

    >>> default_incident_at(1, 7200.0)
    2762.0
    """
    # A separate generator keeps the room's own random stream independent of this choice.
    return float(round(random.Random(seed).uniform(0.35, 0.6) * duration))


def schedule(scenario: str, incident_at: float, duration: float) -> list[Injection]:
    """The injections of ``scenario``, in time order, leaving out those past the end.

    One that would fall before the start is injected at the start.

    >>> schedule("mixed", 1000.0, 2000.0)
    [Injection(kind='tech_issue', at=700.0), Injection(kind='conversion_drop', at=1000.0), \
Injection(kind='viewer_drop', at=1420.0), Injection(kind='flash_sale', at=1720.0)]
    >>> schedule("calm", 1.0, 2.0)
    Traceback (most recent call last):
    ValueError: unknown scenario 'calm' (scenarios: audience_loss, conversion_drop, flash_sale, \
mixed, product_switch, steady, stockout, tech_issue, viewer_drop)
    """
    if scenario not in SCENARIOS:
        known = ", ".join(sorted(SCENARIOS))
        raise ValueError(f"unknown scenario {scenario!r} (scenarios: {known})")
    out = [Injection(kind, max(0.0, round(incident_at + k, 3))) for kind, k in SCENARIOS[scenario]]
    return sorted((i for i in out if i.at < duration), key=lambda i: i.at)
