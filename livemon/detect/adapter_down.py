"""``AdapterDownDetector``: a live room's adapter silent or disconnected (wall clock)."""

from __future__ import annotations

from livemon.detect.base import ClockDetector


class AdapterDownDetector(ClockDetector):
    """Alarms when a live room has had no frame, or no connected adapter, for ``silence_s``.

    The one detector on wall time: a dead connection produces no events, so
    event time stands still. The hub calls ``update`` with a monotonic clock;
    the detector itself reads no clock. ``crit`` once silent for three times
    ``silence_s``. Clears at the next frame from a connected adapter, or when
    the room is no longer live.

    Parameters
    ----------
    silence_s
        Seconds without frames (or connection) that raise the alarm.

    Examples
    --------
    >>> detector = AdapterDownDetector()
    >>> detector.update(now=100.0, last_frame=95.0, connected=True, live=True); detector.alarm
    False
    >>> detector.update(now=106.0, last_frame=95.0, connected=True, live=True)
    >>> detector.alarm, detector.severity, detector.onset, detector.evidence
    (True, 'warn', 95.0, {'silent_s': 11.0, 'connected': 1.0})
    >>> detector.update(now=140.0, last_frame=95.0, connected=False, live=True); detector.severity
    'crit'
    >>> detector.update(now=141.0, last_frame=141.0, connected=True, live=True); detector.alarm
    False
    """

    kind = "adapter_down"

    def __init__(self, silence_s: float = 10.0) -> None:
        self.silence_s = silence_s
        self._silent = 0.0
        self._connected = True

    @property
    def evidence(self) -> dict[str, float]:
        return {"silent_s": self._silent, "connected": float(self._connected)}

    def update(self, now: float, last_frame: float, connected: bool, live: bool) -> None:
        """Take the wall time ``now``, the time of the room's last frame and the link state."""
        self._silent = now - last_frame
        self._connected = connected
        if not live:
            self._alarm = False
            return
        if self._silent > self.silence_s:
            if not self._alarm:
                self._alarm = True
                self._onset = last_frame
            self._severity = "crit" if self._silent > 3 * self.silence_s else "warn"
        elif connected:
            self._alarm = False

    def observe(self, now: float, last_frame: float, connected: bool, live: bool) -> None:
        """Take the wall clock now and what the hub knows of the room's feed."""
        self.update(now, last_frame, connected, live)

    def detail(self, why: str = "") -> str:
        """Silent or disconnected, for how long, and which feed (``why``) if the hub knows."""
        how = "disconnected" if not self._connected else "silent"
        text = f"adapter {how} for {self.evidence['silent_s']:.0f} s while live"
        return f"{text} ({why})" if why else text
