"""`livemon.engine.tags`: a comment's tags are the tags of the words that occur in it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from livemon.engine.tags import QUESTION_WORDS, TAG_ORDER, TECH_WORDS, tag_batch, tag_comment

WORDS = [(word, tag) for table in (QUESTION_WORDS, TECH_WORDS)
         for tag, words in table.items() for word in words]  # fmt: skip


def by_search(text: str) -> list[str]:
    """The tags of ``text`` found the slow, obvious way: each word searched on its own."""
    lowered = text.lower()
    return sorted({tag for word, tag in WORDS if word in lowered}, key=TAG_ORDER.__getitem__)


# Two words sharing letters, one's end the other's start ("url" + "lag": "urlag").
OVERLAPS = [a + b[k:] for a, _ in WORDS for b, _ in WORDS if a != b
            for k in range(1, min(len(a), len(b))) if a.endswith(b[:k])]  # fmt: skip

# Texts made of the words (in any case, overlapping each other), bits of words, other
# letters, the batch's separator, and the characters whose lower case is special.
pieces = st.one_of(
    st.sampled_from([word for word, _ in WORDS]),
    st.sampled_from(OVERLAPS),
    st.sampled_from([word.upper() for word, _ in WORDS]),
    st.text(alphabet="aceghiklnoprsuwz 卡了好很价格链接没声音黑屏?!'\x00İ\u212aß", max_size=6),
)
texts = st.lists(pieces, max_size=5).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(texts, max_size=12))
def test_tags_are_those_of_every_word_that_occurs(batch):
    """tag_batch and tag_comment give each text the tags of all the words that occur in
    it (case-insensitive, overlapping words included), whatever the other texts hold."""
    expected = [by_search(text) for text in batch]
    assert tag_batch(batch) == {i: tags for i, tags in enumerate(expected) if tags}
    assert [tag_comment(text) for text in batch] == expected
