"""Tags for comments: buyer questions and reports of stream trouble."""

from __future__ import annotations

import ahocorasick

# tag -> words that mark it (lower-case; Chinese needs no case folding)
QUESTION_WORDS: dict[str, tuple[str, ...]] = {
    "price": ("价格", "多少钱", "价钱", "price", "how much", "cost"),
    "link": ("链接", "link", "url"),
    "size": ("尺码", "尺寸", "size"),
    "how_to_buy": ("怎么买", "怎么下单", "how to buy", "how do i buy", "where to buy"),
}
TECH_WORDS: dict[str, tuple[str, ...]] = {
    # "卡" alone also means card (商品卡, 信用卡): only its lag phrasings count.
    "lag": ("卡了", "卡顿", "好卡", "很卡", "太卡", "卡死", "卡住", "lag", "buffering", "frozen",
            "freeze"),
    "no_sound": ("没声音", "没有声音", "听不到", "no sound", "no audio", "muted", "can't hear"),
    "black_screen": ("黑屏", "black screen", "blank screen", "no video", "没画面"),
}  # fmt: skip
QUESTION_TAGS = frozenset(QUESTION_WORDS)
TECH_TAGS = frozenset(TECH_WORDS)
TAG_ORDER = {tag: i for i, tag in enumerate([*QUESTION_WORDS, *TECH_WORDS])}


def _automaton() -> ahocorasick.Automaton:
    # One Aho-Corasick pass finds every word at once: a regex alternation of
    # these words costs ~2 us per comment, this ~0.5 us, and comments are a
    # large share of all events.
    automaton = ahocorasick.Automaton()
    for table in (QUESTION_WORDS, TECH_WORDS):
        for tag, words in table.items():
            for word in words:
                automaton.add_word(word, tag)
    automaton.make_automaton()
    return automaton


_AUTOMATON = _automaton()


def tag_comment(text: str) -> list[str]:
    """The tags whose words occur in ``text`` (case-insensitive), in a fixed order.

    >>> tag_comment("主播这个多少钱？链接在哪")
    ['price', 'link']
    >>> tag_comment("Stream is LAGGY and no sound")
    ['lag', 'no_sound']
    >>> tag_comment("好看")
    []
    """
    found = _AUTOMATON.iter(text.lower())
    first = next(found, None)
    if first is None:
        return []
    tags = {first[1], *(tag for _, tag in found)}
    return sorted(tags, key=TAG_ORDER.__getitem__)


def tag_batch(texts: list[str]) -> dict[int, list[str]]:
    """Tags of many comments at once: ``{index: tags}`` for the ones that have any.

    One automaton pass over all the texts joined: a third of the cost of
    tagging them one call at a time.

    >>> tag_batch(["好看", "链接呢", "no sound??", "hi"])
    {1: ['link'], 2: ['no_sound']}
    >>> tag_batch(["链接? 多少钱? 链接!", "卡了", "hi"])  # several words: each tag once, in order
    {0: ['price', 'link'], 1: ['lag']}
    >>> tag_batch(["a\\x00b 链接", "İ 多少钱"])  # texts the joined pass cannot count
    {0: ['link'], 1: ['price']}
    """
    if len(texts) <= 1:
        # The usual batch of a quiet room's closing second: one text, where the
        # join and the offsets cost more than the pass.
        tags = tag_comment(texts[0]) if texts else []
        return {0: tags} if tags else {}
    raw = "\x00".join(texts)
    joined = raw.lower()
    if len(joined) != len(raw):
        # A few characters lower-case to two ("İ"): the offsets would be off.
        return _one_by_one(texts)
    found: dict[int, list[str]] = {}
    i = last = 0  # matches come in text order: count the separators since the last one
    for at, tag in _AUTOMATON.iter(joined):
        i += joined.count("\x00", last, at)
        last = at
        seen = found.get(i)
        if seen is None:
            found[i] = [tag]  # the usual case: one word in the comment
        elif tag not in seen:
            seen.append(tag)
            seen.sort(key=TAG_ORDER.__getitem__)
    if i + joined.count("\x00", last) != len(texts) - 1:
        # A text holds the separator: the separators did not count the texts. (Checked
        # here, with the count the loop made anyway, instead of a count of its own.)
        return _one_by_one(texts)
    return found


def _one_by_one(texts: list[str]) -> dict[int, list[str]]:
    """``tag_batch`` one text at a time."""
    return {i: tags for i, text in enumerate(texts) if (tags := tag_comment(text))}
