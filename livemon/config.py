"""Typed configuration: one msgspec struct per section, defaults here and nowhere else.

``load`` starts from the struct defaults, lays a user TOML file (``--config``)
and the ``--set NAME.key=value`` overrides over them, and refuses any mistake
before anything starts: an unknown or misspelt key, a value of the wrong type
or out of range, each with the file (or ``--set``), the key and what was
expected. ``config/livemon.toml`` is a commented copy of these defaults,
generated from the structs (``python -m livemon.docsgen --write``), as is
``docs/config.md``.

Adding a key: add a field to the section's struct below, with its default and
a ``Meta(description=...)`` line; then regenerate the two files. A new
section is a new ``Section`` subclass and a field of ``Config`` (or of
``DetectConfig`` for a detector). Code reads ``config.hub.port``; the
dict-style ``config["hub"]`` / ``.get`` still works on every section but
raises ``KeyError`` for a key that is not declared (nothing is silently
ignored).

Adapter options (``[adapters.NAME]``) are each adapter plugin's own
``options``: they are checked against the plugin's declared options.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec
from msgspec import Meta

SAMPLE_FILE = Path(__file__).resolve().parent.parent / "config" / "livemon.toml"
ROLES = ("ingest", "watch", "control")


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message says which and why."""


class Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A config section: typed fields with defaults; unknown keys are refused.

    It can also be used like a mapping (``section["key"]``, ``section.get("key")``,
    ``**section``, ``section["key"] = v`` in tests) for older callers; a key that
    is not a field raises ``KeyError`` instead of returning a default.
    """

    def __getitem__(self, key: str) -> Any:
        if key not in self.__struct_fields__:
            raise KeyError(f"{type(self).__name__} has no key {key!r}: declare it in "
                           "livemon/config.py")  # fmt: skip
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self[key]  # a key that is not declared raises
        setattr(self, key, value)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of field ``key`` (``default`` is never used: every field has one)."""
        return self[key]

    def keys(self) -> tuple[str, ...]:
        """The field names."""
        return self.__struct_fields__

    def items(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of each field."""
        return ((k, getattr(self, k)) for k in self.__struct_fields__)

    def __iter__(self) -> Iterator[str]:
        return iter(self.__struct_fields__)


def _section(cls: type[Section]) -> Any:
    return msgspec.field(default_factory=cls)


# -- the sections ------------------------------------------------------------


class HubConfig(Section):
    """``[hub]``: where the hub listens and how often it talks."""

    host: Annotated[str, Meta(description="address to bind (loopback only by default: expose "
                                          "on purpose)")] = "127.0.0.1"  # fmt: skip
    port: Annotated[int, Meta(ge=0, le=65535, description="TCP port of the hub")] = 8765
    record_dir: Annotated[str, Meta(description="where sessions are recorded")] = "recordings"
    snapshot_hz: Annotated[
        float,
        Meta(
            gt=0,
            le=10,
            description=("snapshots per second per room (the protocol allows at most 10)"),
        ),
    ] = 10.0
    ack_interval_s: Annotated[
        float,
        Meta(
            gt=0,
            le=0.25,
            description=("seconds between acks while events flow (the protocol asks for <= 0.25)"),
        ),
    ] = 0.1
    command_timeout_s: Annotated[
        float,
        Meta(gt=0, description=("an adapter that does not answer a command by then: ok=false")),
    ] = 10.0
    max_pending_mb: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "while the disk fails: unwritten (unacked) log bytes held in memory; past it, "
                "ingest waits"
            ),
        ),
    ] = 256.0
    tls_cert: Annotated[
        str,
        Meta(
            description=("PEM certificate (chain): serve wss:// instead of ws:// (or --tls-cert)")
        ),
    ] = ""
    tls_key: Annotated[
        str, Meta(description=("its PEM key (or --tls-key); consoles and adapters then use --ca"))
    ] = ""
    max_future_s: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "an event ts more than this ahead of both its room's clock and the hub's clock is "
                "rejected"
            ),
        ),
    ] = 600.0
    max_rooms: Annotated[
        int,
        Meta(
            ge=1,
            description=(
                "rooms one hub takes (each has a log, a state and detectors); a new room past it "
                "is rejected"
            ),
        ),
    ] = 1000


class TokensConfig(Section):
    """``[tokens]``: one secret per role; empty means a random one per start.

    The environment (LIVEMON_INGEST_TOKEN, LIVEMON_WATCH_TOKEN,
    LIVEMON_CONTROL_TOKEN) overrides these. A given token must be at least 16
    characters and differ from the other roles'; it is never printed, and a
    non-loopback host needs all three given (livemon.hub.access).
    """

    ingest: Annotated[str, Meta(description="token of the adapters (path /ingest)")] = ""
    watch: Annotated[str, Meta(description="token of read-only consoles (path /watch)")] = ""
    control: Annotated[
        str, Meta(description=("token of the controlling console (path /control)"))
    ] = ""


class AccessConfig(Section):
    """``[access]``: who may connect, and how much one console may take (docs/limits.md)."""

    allowed_origins: Annotated[
        list[str],
        Meta(
            description=(
                "browser pages (Origin header) allowed on /watch and /control, e.g. "
                '["https://ops.example.com"]; clients that send no Origin are not browsers and '
                "are let in"
            )
        ),
    ] = msgspec.field(default_factory=list)
    max_consoles: Annotated[
        int,
        Meta(
            ge=1,
            description=(
                "consoles (/watch + /control) open at once on this hub; more are closed with 1013"
            ),
        ),
    ] = 100
    max_consoles_per_token: Annotated[
        int, Meta(ge=1, description=("...of them on one token (the watch or the control token)"))
    ] = 50
    failed_hellos: Annotated[
        int,
        Meta(
            ge=1,
            description=(
                "hellos with a bad or missing token one address may send per window; past it, that "
                "address gets HTTP 429 until it earns another try"
            ),
        ),
    ] = 10
    failed_hello_window_s: Annotated[
        float, Meta(gt=0, description=("the window of failed_hellos"))
    ] = 60.0
    commands_per_s: Annotated[
        float,
        Meta(
            gt=0, description=("commands one console may send per second, sustained, after a burst")
        ),
    ] = 2.0
    command_burst: Annotated[
        int,
        Meta(
            ge=1,
            description=(
                "commands one console may send at once; beyond: result ok=false, not carried out"
            ),
        ),
    ] = 20
    console_stall_s: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "a console whose send buffer stays full this long (it stopped reading) is dropped"
            ),
        ),
    ] = 10.0
    console_send_buffer_kb: Annotated[
        int,
        Meta(
            ge=16,
            description=(
                "kernel send buffer of a console socket, KiB (Linux grows it to MBs otherwise)"
            ),
        ),
    ] = 256


class GuardrailsConfig(Section):
    """``[guardrails]``: limits on the coupons a console may issue."""

    max_discount_cents: Annotated[
        int, Meta(ge=0, description=("the largest coupon discount a console may issue"))
    ] = 5000
    max_coupon_count: Annotated[
        int, Meta(ge=0, description=("the most coupons one command may issue"))
    ] = 1000
    max_coupons_per_session: Annotated[
        int, Meta(ge=0, description=("coupon commands per session"))
    ] = 20


class HostSlot(Section):
    """One host's scheduled time on air, in minutes from the session's first event."""

    name: Annotated[str, Meta(min_length=1, description="the host's name")]
    start_min: Annotated[float, Meta(ge=0, description="goes on air this many minutes in")]
    end_min: Annotated[float, Meta(gt=0, description="...and off air this many minutes in")]

    def __post_init__(self) -> None:  # as the console's plan command checks it
        if self.end_min <= self.start_min:
            raise ValueError(f"end_min must be after start_min ({self.name})")


class SessionConfig(Section):
    """``[session]``: the broadcast's plan: schedule, targets and host shifts."""

    duration_s: Annotated[
        float, Meta(gt=0, description=("scheduled length, for target projections"))
    ] = 7200.0
    refund_window_s: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "an order's amounts are kept this long (event time) at least, for refunds; after "
                "twice this a refund of it is rejected (its id still stops duplicates)"
            ),
        ),
    ] = 3600.0
    targets: Annotated[
        dict[str, Annotated[int, Meta(ge=0)]],
        Meta(
            description=("targets the console tracks (0 = none): gmv_cents, orders, or units:<sku>")
        ),
    ] = msgspec.field(default_factory=lambda: {"gmv_cents": 0, "orders": 0})
    hosts: Annotated[
        list[HostSlot],
        Meta(
            description=(
                "the host schedule: [{name, start_min, end_min}], minutes from the first event "
                "(the console's p edits it; h records an unscheduled change)"
            )
        ),
    ] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:  # a misspelt target would be tracked by no bar
        for key in self.targets:
            if key not in ("gmv_cents", "orders") and not (
                key.startswith("units:") and len(key) > 6
            ):
                raise ValueError(f"unknown target {key!r} in targets (gmv_cents, orders, "
                                 "units:<sku>)")  # fmt: skip


class ConversionDropConfig(Section):
    """``[detect.conversion_drop]``: Poisson CUSUMs on orders per viewer-second."""

    drops: Annotated[
        list[Annotated[float, Meta(gt=0, lt=1)]],
        Meta(
            min_length=1,
            description=(
                "one Poisson CUSUM per drop size (rate x (1 - drop)); the first to cross alarms"
            ),
        ),
    ] = msgspec.field(default_factory=lambda: [0.45])
    fa_per_h: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "false alarms per hour each CUSUM's threshold is set for, at any room size (Wald)"
            ),
        ),
    ] = 0.5
    margin: Annotated[
        float,
        Meta(
            description=(
                "nats added to those thresholds when margins is empty (the baseline is estimated)"
            )
        ),
    ] = 0.75
    margins: Annotated[list[Annotated[list[float], Meta(min_length=2, max_length=2)]], Meta(
        description=(
            "[orders per minute, nats] points that replace margin, interpolated in the log of "
            "the room's order rate: found by livemon bench detect --calibrate (0.42 false "
            "alarms/h on 200 steady hours per room size, tuning seeds)"))] = msgspec.field(
        default_factory=lambda: [[5.8, -0.06], [11.8, 0.15], [23.5, 0.24], [47.0, 0.22],
                                 [117.5, 0.1]])  # fmt: skip
    crit_drop: Annotated[
        float,
        Meta(
            gt=0,
            lt=1,
            description=("estimated drop since onset at which the alert escalates to crit"),
        ),
    ] = 0.6
    clear_threshold: Annotated[
        float,
        Meta(gt=0, description=("log-likelihood ratio of 'back to baseline' that resolves it")),
    ] = 6.0
    clear_drop: Annotated[
        float,
        Meta(
            gt=0,
            lt=1,
            description=(
                "...weighed against this fall (a rate still 20% down keeps the alert open)"
            ),
        ),
    ] = 0.35
    half_life_s: Annotated[
        float,
        Meta(
            gt=0, description=("half-life of the baseline orders per viewer-second (a slow EWMA)")
        ),
    ] = 900.0
    lag_s: Annotated[
        int,
        Meta(
            ge=0,
            description=(
                "the baseline learns from data this old, so a drop in progress does not drag it "
                "down"
            ),
        ),
    ] = 120
    warmup_orders: Annotated[
        float, Meta(ge=0, description=("orders the baseline must have seen before any test"))
    ] = 60.0
    coupon_discount_cents: Annotated[
        int, Meta(ge=1, description=("suggested coupon: discount per coupon"))
    ] = 500
    coupon_count: Annotated[int, Meta(ge=1, description="suggested coupon: how many")] = 100


class ViewerDropConfig(Section):
    """``[detect.viewer_drop]``: online viewers falling below their reference."""

    warn_drop: Annotated[
        float,
        Meta(
            gt=0,
            lt=1,
            description=("online this far below its reference opens the alert (a drop is >= 25%)"),
        ),
    ] = 0.25
    crit_drop: Annotated[
        float, Meta(gt=0, lt=1, description=("...and this far escalates to crit"))
    ] = 0.4
    clear_drop: Annotated[
        float,
        Meta(ge=0, lt=1, description=("resolves once online is back within this of the reference")),
    ] = 0.1
    baseline_s: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "time constant of the 5-minute baseline EWMA of online (catches slides over "
                "minutes)"
            ),
        ),
    ] = 300.0
    recent_s: Annotated[
        int,
        Meta(
            ge=2, description=("the recent level is the mean online from this many seconds ago...")
        ),
    ] = 45
    recent_gap_s: Annotated[
        int,
        Meta(
            ge=1,
            description=(
                "...to this many (so a sudden fall during a fast rise is measured from where "
                "online just was)"
            ),
        ),
    ] = 15
    noise_z: Annotated[
        float,
        Meta(
            ge=0,
            description=(
                "a sudden fall must lose >= this x sqrt(reference) viewers (tiny rooms wobble)"
            ),
        ),
    ] = 1.5
    slow_noise_z: Annotated[
        float,
        Meta(
            ge=0,
            description=(
                "...and a slide against the baseline >= this x sqrt(baseline) (small rooms drift "
                "by minutes)"
            ),
        ),
    ] = 3.0
    rebase_s: Annotated[
        float,
        Meta(
            gt=0,
            description=("a fall that lasts this long is the new normal: re-baseline and resolve"),
        ),
    ] = 600.0
    min_viewers: Annotated[
        int,
        Meta(
            ge=0,
            description=("no test below this reference (a few viewers leaving is not an incident)"),
        ),
    ] = 10


class StockConfig(Section):
    """``[detect.stock]``: stock_low limits and the restock suggestion."""

    low_eta_s: Annotated[
        float,
        Meta(
            gt=0,
            description=("stock_low when seconds to stock-out at the 1-min rate fall below this"),
        ),
    ] = 120.0
    low_floor: Annotated[
        int, Meta(ge=0, description=("...or when fewer units than this are left"))
    ] = 10
    clear_factor: Annotated[
        float,
        Meta(
            ge=1,
            description=("stock_low resolves only above clear_factor x both limits (no flapping)"),
        ),
    ] = 1.5
    restock_minutes: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "suggested restock: this many minutes of sales at the current rate (>= 10 units)"
            ),
        ),
    ] = 10.0


class CommentSurgeConfig(Section):
    """``[detect.comment_surge]``: comments per viewer-minute far above the baseline."""

    factor: Annotated[
        float,
        Meta(
            gt=1, description=("comments per viewer-minute at least this multiple of the baseline")
        ),
    ] = 3.0
    clear_factor: Annotated[
        float, Meta(ge=1, description=("resolves once back under this multiple"))
    ] = 1.5
    window_s: Annotated[
        int, Meta(ge=1, description=("the recent window compared with the baseline"))
    ] = 30
    baseline_s: Annotated[
        float,
        Meta(
            gt=0, description=("time constant of the baseline EWMA (frozen while a surge is open)")
        ),
    ] = 600.0
    min_per_min: Annotated[
        float,
        Meta(
            ge=0,
            description=("and at least this many comments per minute (quiet rooms do not surge)"),
        ),
    ] = 20.0


class TechIssueConfig(Section):
    """``[detect.tech_issue]``: viewers complaining of lag, no sound, a black screen."""

    window_s: Annotated[
        int, Meta(ge=1, description=("such comments are counted over this window"))
    ] = 30
    min_users: Annotated[
        int,
        Meta(
            ge=1, description=("distinct users needed to open (one angry viewer is not an outage)")
        ),
    ] = 3
    ratio: Annotated[
        float,
        Meta(
            gt=0, description=("...and at least this multiple of the usual count of such comments")
        ),
    ] = 4.0
    crit_users: Annotated[int, Meta(ge=1, description=("distinct users that escalate to crit"))] = (
        10
    )
    clear_users: Annotated[
        int,
        Meta(ge=0, description=("resolves once at most this many users complain in the window")),
    ] = 1


class AdapterDownConfig(Section):
    """``[detect.adapter_down]``: a live room's adapter gone quiet (wall clock)."""

    silence_s: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "wall-clock seconds without frames (or connection) from a live room's adapter"
            ),
        ),
    ] = 10.0


class BehindTargetConfig(Section):
    """``[detect.behind_target]``: a target's projection stays short of it."""

    share: Annotated[
        float, Meta(gt=0, le=1, description=("projection / target under which the alert may open"))
    ] = 0.9
    clear_share: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "projection / target at or over which it may resolve (above share: hysteresis)"
            ),
        ),
    ] = 0.97
    crit_share: Annotated[
        float, Meta(gt=0, le=1, description=("projection / target under which it is crit"))
    ] = 0.7
    sustain_s: Annotated[
        float, Meta(ge=1, description=("seconds of event time either condition must hold"))
    ] = 300.0
    warmup_s: Annotated[
        float, Meta(ge=0, description=("seconds from the session start before anything is judged"))
    ] = 600.0
    coupon_discount_cents: Annotated[
        int, Meta(ge=1, description=("the coupon template it suggests: discount per coupon"))
    ] = 1000
    coupon_count: Annotated[int, Meta(ge=1, description=("...and how many coupons"))] = 200


class LifecycleConfig(Section):
    """``[detect.lifecycle]``: how long an alert stays open at least."""

    min_open_s: Annotated[
        float,
        Meta(
            ge=0,
            description=("an alert stays open at least this long (event time), so it cannot flap"),
        ),
    ] = 30.0


class DetectConfig(Section):
    """``[detect.*]``: the online detectors (defaults chosen by ``livemon bench detect --tune``)."""

    conversion_drop: ConversionDropConfig = _section(ConversionDropConfig)
    viewer_drop: ViewerDropConfig = _section(ViewerDropConfig)
    stock: StockConfig = _section(StockConfig)
    comment_surge: CommentSurgeConfig = _section(CommentSurgeConfig)
    tech_issue: TechIssueConfig = _section(TechIssueConfig)
    adapter_down: AdapterDownConfig = _section(AdapterDownConfig)
    behind_target: BehindTargetConfig = _section(BehindTargetConfig)
    lifecycle: LifecycleConfig = _section(LifecycleConfig)
    rules: Annotated[
        list[dict[str, Any]],
        Meta(
            description=(
                "rules a user writes, [[detect.rules]]: name, when (a condition over the metrics "
                "and the featured product), for_s, severity, message, suggest (docs/detection.md)"
            )
        ),
    ] = msgspec.field(default_factory=list)


# The embedded demo (livemon run, and serve --adapter sim): an hour-long room
# with every incident, at five times real time, so the first shows after a minute.
ADAPTER_DEFAULTS: dict[str, dict[str, Any]] = {
    "sim": {"scenario": "mixed", "seed": 1, "speed": "5", "start": "now", "duration": 3600,
            "incident_at": 600},
}  # fmt: skip


class BusConfig(Section):
    """``[bus]``: hubs as workers of one cluster on NATS JetStream (docs/cluster.md)."""

    url: Annotated[
        str,
        Meta(
            description=(
                "NATS server of the cluster, e.g. nats://127.0.0.1:4222; empty: embedded, one "
                "process, no NATS (the default)"
            )
        ),
    ] = ""
    lease_s: Annotated[
        float,
        Meta(
            gt=0,
            description=(
                "seconds a hub holds a room without renewing: a dead hub's rooms move to the "
                "others within about this"
            ),
        ),
    ] = 10.0


class Config(Section):
    """The whole configuration: one field per section."""

    hub: HubConfig = _section(HubConfig)
    tokens: TokensConfig = _section(TokensConfig)
    access: AccessConfig = _section(AccessConfig)
    guardrails: GuardrailsConfig = _section(GuardrailsConfig)
    session: SessionConfig = _section(SessionConfig)
    detect: DetectConfig = _section(DetectConfig)
    bus: BusConfig = _section(BusConfig)
    adapters: Annotated[
        dict[str, dict[str, Any]],
        Meta(
            description=("options of each adapter plugin, [adapters.NAME] (see livemon adapters)")
        ),
    ] = msgspec.field(default_factory=lambda: {k: dict(v) for k, v in ADAPTER_DEFAULTS.items()})


# -- checking ----------------------------------------------------------------


def _struct_of(tp: Any) -> type[Section] | None:
    if isinstance(tp, type) and issubclass(tp, Section):
        return tp
    return None


def _fields(cls: type[Section]) -> dict[str, msgspec.structs.FieldInfo]:
    return {f.name: f for f in msgspec.structs.fields(cls)}


def _unknown_keys(data: Mapping[str, Any], cls: type[Section], where: str, source: str) -> None:
    """Refuse a key that ``cls`` does not declare, naming the nearest one (recursively)."""
    fields = _fields(cls)
    for key, value in data.items():
        path = f"{where}.{key}" if where else key
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean {(where + '.') if where else ''}{close[0]}?" if close else ""
            known = ", ".join(sorted(fields))
            what = "key" if where else "section"
            raise ConfigError(f"{source}: unknown {what} {path}{hint} "
                              f"({where or 'sections'}: {known})")  # fmt: skip
        sub = _struct_of(fields[key].type)
        if sub is not None:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: {path} must be a table of settings "
                                  f"([{path}]), got {value!r}")  # fmt: skip
            _unknown_keys(value, sub, path, source)


def _value_at(data: Any, path: list[str]) -> Any:
    for part in path:
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def _typed(data: dict[str, Any], source: str) -> Config:
    """``data`` as a ``Config``; a ``ConfigError`` naming the key and what it expects."""
    try:
        return msgspec.convert(data, Config)
    except msgspec.ValidationError as exc:
        text = str(exc)
        what, _, at = text.partition(" - at `$")
        path = [p for p in re.split(r"[.\[\]`']+", at) if p]
        key = ".".join(path) or "(top level)"
        what = what.replace("`", "")
        got = _value_at(data, path)
        suffix = f" ({got!r})" if got is not None and not isinstance(got, Mapping) else ""
        raise ConfigError(f"{source}: {key}: {what[0].lower()}{what[1:]}{suffix}") from None


def _check_adapters(data: Any, source: str, classes: Mapping[str, Any] | None) -> None:
    """Each ``[adapters.NAME]`` table names a known adapter and only options it declares."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: adapters must be a table of [adapters.NAME] tables")
    for name, options in data.items():
        if not isinstance(options, Mapping):
            raise ConfigError(f"{source}: adapters.{name} must be a table of options")
        if classes is None:
            continue
        if name not in classes:
            raise ConfigError(f"{source}: unknown adapter {name!r} in adapters.{name} "
                              f"(found: {', '.join(sorted(classes)) or 'none'}; "
                              "see livemon adapters)")  # fmt: skip
        declared = classes[name].options
        for key, value in options.items():
            if key not in declared:
                close = difflib.get_close_matches(key, list(declared), n=1)
                hint = f"; did you mean {name}.{close[0]}?" if close else ""
                raise ConfigError(f"{source}: unknown key adapters.{name}.{key}{hint} "
                                  f"({name} options: {', '.join(sorted(declared))})")  # fmt: skip
            try:
                declared[key].convert(key, value)
            except ValueError as exc:
                raise ConfigError(f"{source}: adapters.{name}.{key}: {exc}") from None


def _check(layer: dict[str, Any], source: str, classes: Mapping[str, Any] | None) -> None:
    """Refuse ``layer`` (one file or one ``--set``) if any key or value is wrong."""
    _unknown_keys(layer, Config, "", source)
    if "adapters" in layer:
        _check_adapters(layer["adapters"], source, classes)
    _typed(layer, source)


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _parse_value(text: str) -> Any:
    """A ``--set`` value as TOML if it parses (numbers, booleans, quoted strings), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_layer(item: str, adapter_names: set[str]) -> dict[str, Any]:
    """``--set NAME.key=value`` as a nested table (adapter names go under ``adapters``)."""
    name, eq, value = item.partition("=")
    path = name.strip().split(".")
    if not eq or len(path) < 2 or not all(path):
        raise ConfigError(f"--set {item!r}: expected NAME.key=value, e.g. sim.seed=3")
    if path[0] in adapter_names and path[0] not in _fields(Config):
        path = ["adapters", *path]
    layer: dict[str, Any] = {path[-1]: _parse_value(value.strip())}
    for part in reversed(path[:-1]):
        layer = {part: layer}
    return layer


def _adapter_classes() -> dict[str, Any] | None:
    try:
        from livemon.adapters import discover
    except ImportError:  # pragma: no cover - the package is always there
        return None
    return discover()


def load(
    path: str | Path | None = None,
    sets: list[str] | tuple[str, ...] = (),
    adapters: tuple[str, ...] = (),
) -> Config:
    """The defaults, with ``path`` and the ``--set NAME.key=value`` overrides laid over them.

    ``NAME`` is a config section (``guardrails.max_discount_cents=3000``,
    ``detect.stock.low_floor=5``) or, when it names an adapter, that adapter's
    section (``sim.seed=3``). Every layer is checked on its own, so the error
    names the file or the ``--set`` that is wrong. ``adapters`` (names of
    adapters asked for) is kept for older callers; every discovered adapter
    is known.
    """
    classes = _adapter_classes() if (path is not None or sets) else None
    names = set(adapters) | set(classes or ()) | set(ADAPTER_DEFAULTS)
    data = msgspec.to_builtins(Config())
    if path is not None:
        try:
            layer = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        _check(layer, f"config file {path}", classes)
        data = _merge(data, layer)
    for item in sets:
        layer = _set_layer(item, names)
        _check(layer, f"--set {item}", classes)
        data = _merge(data, layer)
    return _typed(data, "config")


def coerce(config: Config | Mapping[str, Any] | None) -> Config:
    """``config`` as a ``Config``: a plain mapping (tests, older callers) is checked like a file."""
    if isinstance(config, Config):
        return config
    data = msgspec.to_builtins(config or {})
    _unknown_keys(data, Config, "", "config")
    return _typed(_merge(msgspec.to_builtins(Config()), data), "config")


def coerce_detect(config: DetectConfig | Mapping[str, Any] | None) -> DetectConfig:
    """``config`` as a ``DetectConfig``: a plain mapping is checked like ``[detect]``."""
    if isinstance(config, DetectConfig):
        return config
    return coerce({"detect": msgspec.to_builtins(config or {})}).detect


def tokens(config: dict[str, Any]) -> dict[str, str]:
    """The token of each role: environment, then config, else a fresh random one.

    Checked by ``livemon.hub.access.resolve`` (length, one token per role).
    """
    from livemon.hub.access import resolve

    return {role: t.value for role, t in resolve(config).items()}
