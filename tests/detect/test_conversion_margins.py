"""conversion_drop's threshold margin per room size: a table interpolated in the log order rate."""

from __future__ import annotations

import numpy as np
import pytest

from livemon.detect.conversion_drop import ConversionDropDetector

TABLE = ((20.0, 0.0), (80.0, 1.5))  # orders per minute -> nats


def _first_alarm(per_min: float, **params) -> int | None:
    """The second a detector first alarms on a room at ``per_min`` orders/min that falls 40 %."""
    rng = np.random.default_rng(11)
    rate = per_min / 60
    detector = ConversionDropDetector(**params)
    for sec in range(3600):
        detector.update(sec, int(rng.poisson(rate if sec < 1800 else 0.6 * rate)), 1000.0)
        if detector.alarm:
            return sec
    return None


@pytest.mark.parametrize(("per_min", "margin"), [(10.0, 0.0), (40.0, 0.75), (160.0, 1.5)])
def test_a_room_gets_the_margin_its_order_rate_interpolates_to(per_min, margin):
    """Below, between (halfway in log rate) and above the table's points, it acts as that margin."""
    assert _first_alarm(per_min, margins=()) is not None
    assert _first_alarm(per_min, margins=TABLE) == _first_alarm(per_min, margin=margin, margins=())


def test_the_margin_changes_when_a_room_alarms():
    """The series is sensitive to the margin, so the equalities above are not vacuous."""
    early = _first_alarm(40.0, margin=0.0, margins=())
    late = _first_alarm(40.0, margin=1.5, margins=())
    assert early is not None and late is not None and early < late


def test_bad_margins_are_refused():
    """A non-positive order rate in the table is refused with the table in the message."""
    with pytest.raises(ValueError, match="margins' order rates must be > 0"):
        ConversionDropDetector(margins=((0.0, 0.5),))
