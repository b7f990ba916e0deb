"""The ``livemon`` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from livemon import config as config_mod
from livemon import wire


def port_number(text: str) -> int:
    """An ``--port`` / ``--web`` value: a TCP port, 0-65535 (argparse's ``type``).

    >>> port_number("8765")
    8765
    """
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (0-65535)")
    return port


def seconds_in(text: str) -> float:
    """A ``replay --from`` value: seconds into the session, 0 or more (argparse's ``type``).

    >>> seconds_in("90")
    90.0
    """
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: give the seconds into the session, 0 or "
                                         "more (e.g. 600 for 10 minutes in)")  # fmt: skip
    return seconds


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", help="a TOML file laid over the defaults (config/livemon.toml lists them all)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME.key=value",
        help="override one setting, e.g. sim.seed=3 or guardrails.max_coupon_count=50",
    )
    p.add_argument("--record-dir", help="where sessions are recorded (default: hub.record_dir)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livemon",
        description=("Real-time monitoring and control console for live-streaming e-commerce."),
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="hub + sim adapter + console in one process (the demo)")
    _common(p)
    p.add_argument("--port", type=port_number, default=None,
                   help="hub port (default 8765, or a free one)")  # fmt: skip
    p.add_argument("--scenario", help="sim scenario (steady, conversion_drop, ..., mixed)")
    p.add_argument("--seed", type=int)
    p.add_argument("--speed", help="sim speed: multiple of real time, or max")
    p.add_argument("--room", default="room-1")

    p = sub.add_parser("serve", help="run the hub")
    _common(p)
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=None)
    p.add_argument(
        "--adapter",
        action="append",
        default=[],
        metavar="NAME",
        help="run this adapter inside the hub (repeatable)",
    )
    p.add_argument("--room", default="room-1", help="room of the in-process adapters")
    p.add_argument("--tls-cert", help="PEM certificate: serve wss:// (default hub.tls_cert)")
    p.add_argument("--tls-key", help="PEM private key of --tls-cert (default: hub.tls_key)")
    p.add_argument(
        "--bus",
        metavar="nats://HOST:PORT",
        help="run as one hub of a cluster on "
        "NATS JetStream (default: bus.url; empty: embedded, no NATS)",
    )

    p = sub.add_parser("console", help="attach the console to a running hub")
    p.add_argument("--url", default=f"ws://127.0.0.1:{wire.DEFAULT_PORT}")
    p.add_argument("--token", required=True, help="a control token (or a watch token with --watch)")
    p.add_argument("--watch", action="store_true", help="read-only (side screen)")
    p.add_argument("--ca", help="PEM CA file that signed a wss:// hub's certificate")

    p = sub.add_parser(
        "stage",
        help="the streamer's side screen alone (watch-only), "
        "in this terminal or with --web in a browser",
    )
    p.add_argument("--url", default=f"ws://127.0.0.1:{wire.DEFAULT_PORT}")
    p.add_argument("--token", default=None, help="a watch token (default: LIVEMON_WATCH_TOKEN)")
    p.add_argument("--room", default=None, help="the room to show (default: the first)")
    p.add_argument(
        "--web",
        type=port_number,
        default=None,
        metavar="PORT",
        help="serve the stage screen to browsers on PORT (textual-serve)",
    )
    p.add_argument(
        "--host",
        default=None,
        help="with --web: address to bind (default 127.0.0.1; another address "
        "needs a watch token, never a control token)",
    )
    p.add_argument("--ca", help="PEM CA file that signed a wss:// hub's certificate")

    p = sub.add_parser("adapter", help="run one adapter as its own process, feeding a hub")
    p.add_argument("name")
    p.add_argument("--hub", default=f"ws://127.0.0.1:{wire.DEFAULT_PORT}")
    p.add_argument(
        "--bus",
        metavar="nats://HOST:PORT",
        help="feed the cluster's stream on NATS directly, not a hub (no token)",
    )
    p.add_argument("--token", default=None, help="ingest token (default: LIVEMON_INGEST_TOKEN)")
    p.add_argument("--ca", help="PEM CA file that signed a wss:// hub's certificate")
    p.add_argument("--room", default="room-1")
    p.add_argument("--name", dest="feed_name",
                   help="the feed's name, its own seq space (default: the plugin's name); two "
                   "outside feeds of one plugin on one hub need two names")  # fmt: skip
    p.add_argument("--config")
    p.add_argument("--set", action="append", default=[], metavar="key=value")

    p = sub.add_parser("cluster", help="the hubs of a cluster on NATS, their rooms and lag")
    p.add_argument("--bus", required=True, metavar="nats://HOST:PORT")
    p.add_argument("--json", action="store_true", help="as one JSON object, for scripts")

    p = sub.add_parser("replay", help="play a recording again, in the console or as JSON (复盘)")
    from livemon.replay_cmd import add_arguments

    add_arguments(p)
    p.add_argument(
        "--speed",
        default=None,
        help="1, 2, 10, 60 (x real time) or max (default: 10; --headless: max)",
    )
    p.add_argument(
        "--from",
        dest="start_s",
        type=seconds_in,
        default=0.0,
        metavar="SECONDS",
        help="seek: start playing this many seconds into the session",
    )
    p.add_argument(
        "--headless",
        action="store_true",
        help="no console: every alert change as "
        "a JSON line, then the final snapshot as one JSON object",
    )
    p.add_argument("--no-console", action="store_true", help="the same as --headless")

    p = sub.add_parser(
        "report",
        help="the session review (复盘): curves, products, alerts, "
        "what each command did, hosts, questions",
    )
    add_arguments(p)
    from livemon.report.cli import add_arguments as add_report_arguments

    add_report_arguments(p)

    sub.add_parser("adapters", help="list the adapter plugins found, with capabilities")

    p = sub.add_parser("sessions", help="list the recorded sessions; prune old ones")
    p.add_argument("--record-dir", default="recordings")
    p.add_argument(
        "--prune",
        action="store_true",
        help="remove finished recordings that match "
        "--older-than and/or --max-size (open sessions are kept)",
    )
    p.add_argument("--older-than", metavar="AGE", help="with --prune: e.g. 30d, 12h")
    p.add_argument(
        "--max-size",
        metavar="SIZE",
        help="with --prune: keep the newest within this size, e.g. 10G",
    )
    p.add_argument("--dry-run", action="store_true", help="with --prune: only say what would go")

    p = sub.add_parser(
        "rules",
        help="rules a user writes: test FILE [--session ID ...] tries them on recorded sessions",
    )
    p.add_argument("which", choices=["test"])
    p.add_argument("rest", nargs=argparse.REMAINDER)

    p = sub.add_parser("metrics", help="the metrics and their definitions")
    p.add_argument("--list", action="store_true", required=True)
    p.add_argument("--config", help="a TOML file merged over the defaults (its rules are listed)")
    p.add_argument("--set", action="append", default=[], metavar="NAME.key=value")

    p = sub.add_parser("bench", help="benchmarks: ingest, latency, replay, memory, detect, stall, "
                       "fuzz")  # fmt: skip
    p.add_argument("which", choices=["ingest", "latency", "replay", "memory", "detect", "stall",
                                     "fuzz"])  # fmt: skip
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``livemon`` script; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return {
            "run": cmd_run, "serve": cmd_serve, "console": cmd_console, "adapter": cmd_adapter,
            "stage": cmd_stage, "cluster": cmd_cluster,
            "adapters": cmd_adapters, "sessions": cmd_sessions, "metrics": cmd_metrics,
            "bench": cmd_bench, "replay": cmd_replay, "report": cmd_report, "rules": cmd_rules,
        }[args.command](args)  # fmt: skip
    except (config_mod.ConfigError, ValueError) as exc:
        print(f"livemon: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _adapter_classes() -> dict[str, Any]:
    from livemon.adapters import discover

    return discover()


def _adapter_options(
    cfg: config_mod.Config, name: str, sets: list[str] | tuple[str, ...] = ()
) -> dict[str, Any]:
    options = dict(cfg.adapters.get(name, {}))
    for item in sets:
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"--set {item!r}: expected key=value, e.g. seed=3")
        options[key.removeprefix(f"{name}.")] = value
    return options


def _make_adapter(name: str, room: str, options: dict[str, Any]):
    """Adapter ``name`` for ``room``; a ``room`` option (any adapter's) overrides ``--room``."""
    classes = _adapter_classes()
    if name not in classes:
        raise ValueError(f"no adapter {name!r}; found: {', '.join(sorted(classes)) or 'none'}"
                         " (see livemon adapters)")  # fmt: skip
    options = dict(options)
    room = str(options.pop("room", room))
    return classes[name](room=room, **options)


def _record_dir(args: argparse.Namespace, cfg: config_mod.Config) -> Path:
    return Path(args.record_dir or cfg.hub.record_dir)


def _print_access(hub) -> None:
    """Where the hub really listens, and its tokens: generated ones once, others never."""
    print(f"livemon hub listening on {', '.join(hub.bound())}  session {hub.session}",
          file=sys.stderr)  # fmt: skip
    for role, token in hub.tokens.items():
        source = hub.token_sources.get(role, "given")
        shown = token if source == "generated" else f"from {source} (not shown)"
        print(f"  {role:8s} token {shown}   (path /{role})", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    """The embedded demo: hub, sim adapter and console in one process."""
    from livemon.hub import Hub
    from livemon.ui import create_app

    sets = list(args.set)
    for key in ("scenario", "seed", "speed"):
        if getattr(args, key) is not None:
            sets.append(f"sim.{key}={getattr(args, key)}")
    cfg = config_mod.load(args.config, sets, adapters=("sim",))
    adapter = _make_adapter("sim", args.room, _adapter_options(cfg, "sim"))

    async def main() -> None:
        # The demo always starts a session of its own: folding back one a killed
        # demo left open would start from its baselines (false alerts at once).
        hub = Hub(cfg, _record_dir(args, cfg), resume=False)
        port = args.port if args.port is not None else cfg.hub.port
        try:
            await hub.start("127.0.0.1", port)
        except OSError:
            await hub.start("127.0.0.1", 0)  # the default port is taken: any free one
        feed = asyncio.create_task(hub.run_adapter(adapter))
        app = create_app(hub.url(), hub.tokens["control"], role="control")
        # SIGTERM ends the demo as q does: the session is closed, not left open.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, app.exit)
        try:
            await app.run_async()
        finally:
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed
            await hub.stop()
        print(f"session {hub.session} recorded in {hub.record_dir}")

    asyncio.run(main())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the hub until interrupted, with any in-process adapters."""
    from livemon.hub import Hub

    twice = sorted({n for n in args.adapter if args.adapter.count(n) > 1})
    if twice:  # one feed name, one seq space: the second's events would be dropped as resends
        raise ValueError(f"--adapter {twice[0]} given twice: a hub runs one feed per adapter name "
                         f"(a second one: livemon adapter {twice[0]} --name {twice[0]}-2 --room "
                         "ROOM, from another shell)")  # fmt: skip
    cfg = config_mod.load(args.config, args.set, adapters=tuple(args.adapter))
    adapters = [_make_adapter(n, args.room, _adapter_options(cfg, n)) for n in args.adapter]

    from livemon.tls import server_context

    ssl = server_context(args.tls_cert or cfg.hub.tls_cert or None,
                         args.tls_key or cfg.hub.tls_key or None)  # fmt: skip

    bus_url = args.bus if args.bus is not None else cfg.bus.url

    async def main() -> None:
        # On the bus the stream is the log: rooms are rebuilt from it, not resumed.
        hub = Hub(cfg, _record_dir(args, cfg), resume=not bus_url)
        host = args.host or cfg.hub.host
        port = args.port if args.port is not None else cfg.hub.port
        try:
            await hub.start(host, port, ssl=ssl)
        except config_mod.ConfigError:
            hub.recorder.close(end=False)
            raise
        except OSError as exc:
            hub.recorder.close(end=False)
            raise ValueError(f"cannot listen on {host}:{port} ({exc.strerror}): is another hub "
                             "running? pick another --port") from None  # fmt: skip
        _print_access(hub)
        try:
            worker = await _join_cluster(hub, bus_url, cfg, host) if bus_url else None
        except ConnectionError as exc:  # no NATS there: stop cleanly, say what to do
            await hub.stop()
            raise ValueError(f"{exc} (--bus / bus.url)") from None
        if worker is not None:
            from livemon.cluster.runner import BusRunner

            feeds = [asyncio.create_task(BusRunner(a, worker.bus).run()) for a in adapters]
        else:
            feeds = [asyncio.create_task(hub.run_adapter(a)) for a in adapters]
        for feed, adapter in zip(feeds, adapters, strict=True):
            feed.add_done_callback(lambda task, a=adapter: _report_feed_end(a, task))
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):  # a clean stop ends the session
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            for feed in feeds:
                feed.cancel()
            if worker is not None:
                await worker.stop()
            await hub.stop()
            if worker is not None:
                await worker.bus.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0


async def _join_cluster(hub, url: str, cfg: config_mod.Config, host: str):
    """Make ``hub`` one worker of the cluster on the NATS server at ``url``."""
    import socket

    from livemon.cluster.bus import Bus
    from livemon.cluster.worker import ClusterWorker

    name = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    bus = await Bus(url, lease_s=cfg.bus.lease_s, name=f"hub {name}:{hub.port}").connect()
    worker = ClusterWorker(hub, bus, f"{name}:{hub.port}")
    await worker.start()
    print(f"livemon: hub {name}:{hub.port} (pid {worker.pid}) joined the cluster on {url}",
          flush=True)  # fmt: skip
    return worker


def cmd_cluster(args: argparse.Namespace) -> int:
    """Show the hubs of a cluster, the rooms each folds, their lag and the stream."""
    from livemon.cluster import status

    try:
        data = asyncio.run(status.status(args.bus))
    except ConnectionError as exc:
        raise ValueError(str(exc)) from None
    print(status.as_json(data) if args.json else status.render(data))
    return 0


def _report_feed_end(adapter, task: asyncio.Task) -> None:
    """Say on stderr why an in-process adapter's feed stopped, if it failed."""
    if not task.cancelled() and task.exception() is not None:
        print(f"livemon: adapter {adapter.name} (room {adapter.room}) stopped: "
              f"{task.exception()}", file=sys.stderr)  # fmt: skip


def _check_hub_url(url: str) -> None:
    """Refuse, before any screen opens, a ``--url`` that is no websocket address."""
    from websockets.exceptions import InvalidURI
    from websockets.uri import parse_uri

    from livemon.ui.client import hub_url

    try:
        parse_uri(hub_url(url, "/watch"))
    except InvalidURI:
        raise ValueError(f"--url {url!r} is not a hub address: give ws://HOST:PORT (or "
                         "wss://HOST:PORT), as livemon serve prints it") from None  # fmt: skip


def _check_console_path(url: str, watch: bool) -> None:
    """Refuse a ``--url`` path that does not match ``--watch``: a console on /watch that
    thinks it may send commands is closed by the hub at its first command."""
    from urllib.parse import urlsplit

    from livemon.ui.client import hub_url

    path = urlsplit(hub_url(url, "/watch" if watch else "/control")).path
    if path == "/watch" and not watch:
        raise ValueError(f"--url {url} is the read-only /watch path: add --watch for a side "
                         "screen, or give ws://HOST:PORT (no path) to send commands")  # fmt: skip
    if path not in ("/control", "/watch") or (path == "/control" and watch):
        want = "/watch" if watch else "/control"
        raise ValueError(f"--url {url}: a console opens {want}; give ws://HOST:PORT (no path)")


def cmd_console(args: argparse.Namespace) -> int:
    """Attach the console to a running hub."""
    from livemon.tls import client_context
    from livemon.ui import create_app

    _check_hub_url(args.url)
    _check_console_path(args.url, args.watch)
    ssl = client_context(args.url, args.ca)
    create_app(args.url, args.token, role="watch" if args.watch else "control", ssl=ssl).run()
    return 0


def cmd_stage(args: argparse.Namespace) -> int:
    """The stage screen alone, in this terminal or served to browsers (--web)."""
    import os

    token = args.token or os.environ.get("LIVEMON_WATCH_TOKEN")
    if not token:
        raise ValueError("no watch token: pass --token or set LIVEMON_WATCH_TOKEN "
                         "(livemon serve prints it)")  # fmt: skip
    from livemon.tls import client_context

    _check_hub_url(args.url)
    ssl = client_context(args.url, args.ca)
    if args.web is None:
        from livemon.ui.stage_app import StageApp

        StageApp(args.url, token, args.room, ssl=ssl).run()
        return 0
    from livemon.ui.stage_web import serve_stage

    return serve_stage(args.url, token, args.room, args.web, args.host, ca=args.ca)


def cmd_adapter(args: argparse.Namespace) -> int:
    """Run one adapter in this process, feeding the hub's /ingest."""
    import os

    from livemon.adapters.remote import RemoteRunner, TokenRefused

    cfg = config_mod.load(args.config)
    adapter = _make_adapter(args.name, args.room, _adapter_options(cfg, args.name, args.set))
    if args.bus:
        from livemon.cluster.runner import BusRunner

        bus_runner = BusRunner(adapter, args.bus, name=args.feed_name)
        try:
            asyncio.run(bus_runner.run())
        except ConnectionError as exc:
            raise ValueError(str(exc)) from None
        print(f"{bus_runner.name}: stored {bus_runner.acked} events on {args.bus}",
              file=sys.stderr)  # fmt: skip
        return 0
    token = args.token or os.environ.get("LIVEMON_INGEST_TOKEN")
    if not token:
        raise ValueError("no ingest token: pass --token or set LIVEMON_INGEST_TOKEN "
                         "(livemon serve prints it)")  # fmt: skip
    from livemon.tls import client_context

    runner = RemoteRunner(adapter, args.hub, token, name=args.feed_name,
                          ssl=client_context(args.hub, args.ca))  # fmt: skip
    try:
        asyncio.run(runner.run())
    except TokenRefused as exc:
        print(f"livemon: {exc}", file=sys.stderr)
        return 3
    print(f"{runner.name}: fed {runner.acked} events to session {runner.session}", file=sys.stderr)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Play a recording into the replay console, or print it as JSON (``--headless``)."""
    from livemon import replay_cmd

    return replay_cmd.run(args)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the session review of a recording."""
    from livemon.report import cli

    return cli.run(args)


def cmd_adapters(args: argparse.Namespace) -> int:
    """List the adapters found, their capabilities and options with the defaults run/serve use."""
    from livemon.adapters import discover

    found = discover()
    print("every adapter takes room=ROOM (default: --room), so that feeds can share a room")
    configured = config_mod.load().adapters  # [adapters.NAME] defaults win over the plugin's
    for name, cls in sorted(found.items()):
        caps = ", ".join(sorted(cls.capabilities)) or "none (read-only)"
        print(f"{name:10s} {cls.description}\n{'':10s} capabilities: {caps}")
        for key, opt in cls.options.items():
            value = configured.get(name, {}).get(key, opt.default)
            print(f"{'':12s}{key} = {value!r}  {opt.help}")
    for name, error in discover.errors.items():
        print(f"{name:10s} failed to load: {error}")
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    """List recorded sessions, newest first, or prune them."""
    from livemon.record import sessions_cmd

    return sessions_cmd.run(args)


def _definitions(title: str | None, items: dict[str, str], width: int = 14) -> None:
    """Print one block of ``livemon metrics --list``: an optional title, a key per line."""
    if title is not None:
        print(f"\n{title}:")
    for key, text in items.items():
        print(f"{key:{width}s} {text}")


def cmd_metrics(args: argparse.Namespace) -> int:
    """Print each metric key with its definition."""
    from livemon.detect.kinds import ALERT_KINDS
    from livemon.detect.rules import EXTRA_VARIABLES, compile_rules
    from livemon.engine.metrics import METRICS, PRODUCT_METRICS
    from livemon.engine.shifts import SHIFT_METRICS
    from livemon.engine.targets import TARGET_FIELDS

    # The config first: a bad --config or rule is said before any of the list.
    rules = compile_rules(config_mod.load(args.config, args.set).detect.rules)
    _definitions(None, METRICS)
    _definitions("per product", PRODUCT_METRICS)
    _definitions("per host shift (snapshot shift and shifts[])", SHIFT_METRICS)
    _definitions("per target (snapshot targets[])", TARGET_FIELDS)
    _definitions("alerts", ALERT_KINDS, 16)
    _definitions(
        "rule names beyond the metrics above ([[detect.rules]] conditions and messages)",
        EXTRA_VARIABLES,
        20,
    )
    print(f"\nrules in force ({len(rules)}):" if rules else "\nrules in force: none")
    for r in rules:
        print(f"rule:{r.name}  {r.severity} when {r.when} for {r.for_s} s"
              + (f" -> {r.suggest['action']}" if r.suggest else ""))  # fmt: skip
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    """``livemon rules test FILE [--session ID ...]``."""
    from livemon.detect import rules_cmd

    return rules_cmd.run(args.rest)


def cmd_bench(args: argparse.Namespace) -> int:
    """Run a benchmark and print its figures."""
    from importlib import import_module

    return import_module(f"livemon.bench.{args.which}").main(args.rest)


if __name__ == "__main__":
    sys.exit(main())
