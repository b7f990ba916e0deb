"""``livemon replay PATH | --session ID``: a recording into the console, or ``--headless`` as JSON.

Finding the recording (a path, a session id, or the newest session) is shared
with ``livemon report``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from livemon import config as config_mod
from livemon.record import log

PROGRESS_EVERY = 64  # records folded between progress bar updates


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options naming a recording, shared by ``replay`` and ``report``."""
    p.add_argument("path", nargs="?", help="an .lmrec recording (instead of --session)")
    p.add_argument(
        "--record-dir",
        default="recordings",
        help="where the catalog of sessions is (default: recordings)",
    )
    p.add_argument("--session", help="a session id from livemon sessions (default: the newest)")
    p.add_argument("--room", help="room (default: the recording's own, or the session's first)")


def parse_speed(text: str) -> float | None:
    """``max`` -> None, else a positive multiple of real time.

    >>> parse_speed("max"), parse_speed("10")
    (None, 10.0)
    """
    if text.strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    if not speed > 0 or speed == float("inf"):
        raise ValueError(f"--speed {text!r}: use a multiple of real time (1, 2, 10, 60) or max")
    return speed


def recording_room(path: Path) -> str:
    """The room of a recording: the room of its first event."""
    from livemon import wire
    from livemon.events import Event

    for _, rec in log.read(path):
        if rec[0] == log.EVENTS:
            try:
                parsed = wire.decode_batch(rec[4])
            except wire.ProtocolError:
                continue
            for item in parsed[1] if parsed else ():
                if isinstance(item, Event):
                    return item.room
    raise ValueError(f"{path} holds no events: nothing to replay")


def find(args: argparse.Namespace) -> tuple[Path, str, str]:
    """``(path, room, title)`` of the recording the options name; a ValueError says what to do."""
    if args.path:
        path = Path(args.path)
        if not path.is_file():
            raise ValueError(
                f"no recording at {path}: give an .lmrec file or --session ID "
                "(see livemon sessions)"
            )
        try:
            room = args.room or recording_room(path)
        except log.LogCorrupt as exc:
            raise ValueError(str(exc)) from None
        return path, room, path.name
    from livemon.record.catalog import find_recording

    row = find_recording(Path(args.record_dir), args.session, args.room)
    return Path(row["path"]), row["room"], f"{row['session']} · {row['room']}"


def recorded_config(path: Path) -> config_mod.Config:
    """The settings the session of recording ``path`` was folded with live (its plan,
    detectors, rules), from the catalog of its record dir, so that a replay or a report
    folds it the same way. The defaults, with a note on stderr, when that catalog does not
    have them (a recording moved out of its record dir, or one recorded before they were
    kept)."""
    import sqlite3

    from livemon import replay
    from livemon.record.catalog import CATALOG_NAME, session_settings

    catalog = path.parent.parent / CATALOG_NAME  # record_dir/<room dir>/<session>.lmrec
    settings = None
    if catalog.is_file():
        try:
            db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
            try:
                sessions = db.execute("select session, path from sessions").fetchall()
                session = next((s for s, p in sessions if Path(p).name == path.name), None)
                settings = session_settings(db, session)
            finally:
                db.close()
        except (sqlite3.Error, ValueError):
            settings = None
    try:
        if settings is not None:
            return replay.settings_config(settings)
    except config_mod.ConfigError:
        pass
    print(f"livemon: {path.name}: its session's settings (plan, detectors) are not in a "
          "catalog beside it; folding with the defaults", file=sys.stderr)  # fmt: skip
    return config_mod.load()


@contextmanager
def progress_bar(what: str, enabled: bool = True):
    """A rich progress bar on stderr; yields ``update(share done 0..1)``."""
    if not enabled:
        yield lambda share: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:  # a script's stderr gets no bar (rich would leave a blank line)
        yield lambda share: None
        return
    with Progress(
        f"[bold]{what}",
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=1.0)
        yield lambda share: bar.update(task, completed=share)


def headless(
    path: Path, room: str, speed: float | None, start_s: float, out=None, progress: bool = True
) -> dict[str, Any]:
    """Fold the recording, print each alert change as a JSON line, then the final snapshot.

    Returns the final snapshot.
    """
    from livemon.keyframes import scratch_hub
    from livemon.player import Player

    out = out or sys.stdout
    hub, scratch = scratch_hub(recorded_config(path))
    size = max(1, path.stat().st_size)
    try:
        with progress_bar(f"replaying {path.name}", progress and speed is None) as update:
            steps = [0]

            def step(offset: int, kind: str, a: Any, b: Any, clock: float | None) -> None:
                for _, alert in hub.take_alert_changes():
                    out.write(json.dumps({"op": "alert", **alert}, ensure_ascii=False) + "\n")
                steps[0] += 1
                if steps[0] % PROGRESS_EVERY == 0:
                    update(offset / size)

            player = Player(hub, path, room, speed, on_step=step)
            if start_s:
                player.seek_offset_s(start_s)
            asyncio.run(player.run())
            step(0, "end", None, None, None)
        if room not in hub.engine.rooms:
            raise ValueError(f"{path} has no events of room {room!r}")
        snapshot = hub.snapshot(room)
        first = hub.engine.rooms[room].first_ts
        length = (snapshot.get("ts") or 0.0) - first if first is not None else None
        if start_s and length is not None and start_s > length:
            print(f"livemon: --from {start_s:g} is past the end of the recording ({length:.0f} s "
                  "long): no alert change is printed, only its final snapshot",
                  file=sys.stderr)  # fmt: skip
        out.write(json.dumps(snapshot, ensure_ascii=False) + "\n")
        out.flush()
        return snapshot
    finally:
        hub.catalog.close()
        scratch.cleanup()


def build_index(path: Path, room: str, config: config_mod.Config, progress: bool = True):
    """The keyframes of a recording folded with ``config``, with a progress bar while they
    are built."""
    from livemon import keyframes

    with progress_bar(f"indexing {path.name} for seeking", progress) as update:
        return keyframes.build(path, room, config, progress=update)


def console(path: Path, room: str, title: str, speed: float | None, start_s: float) -> None:
    """Play the recording into a hub of its own, shown by the replay console."""
    from livemon.keyframes import scratch_hub
    from livemon.player import Player

    config = recorded_config(path)  # once: read from the catalog, or the defaults said once
    index = build_index(path, room, config)

    async def main() -> None:
        from livemon.ui.replay_app import ReplayApp

        hub, scratch = scratch_hub(config)
        await hub.start("127.0.0.1", 0)
        player = Player(hub, path, room, speed, index)
        if start_s:
            player.seek_offset_s(start_s)
        feed = asyncio.create_task(player.run(stay=True))
        try:
            app = ReplayApp(hub.url(), hub.tokens["watch"], player, title)
            app.title = f"livemon replay · {title}"
            await app.run_async()
        finally:
            feed.cancel()
            await asyncio.gather(feed, return_exceptions=True)
            await hub.stop()
            scratch.cleanup()

    asyncio.run(main())


def run(args: argparse.Namespace) -> int:
    """``livemon replay``."""
    path, room, title = find(args)
    headless_mode = args.headless or args.no_console
    if headless_mode:
        speed = parse_speed(args.speed) if args.speed is not None else None
        headless(path, room, speed, args.start_s)
        return 0
    speed = parse_speed(args.speed if args.speed is not None else "10")
    console(path, room, title, speed, args.start_s)
    return 0
