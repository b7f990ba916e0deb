"""Comment texts for the simulated room, in Chinese and English, by kind.

Kinds: ``chatter`` (greetings, praise), ``question`` (price / link / size /
how to buy: what a hub tags as a question), ``complaint`` (about the product
or the service) and ``lag`` (the stream stutters, no sound, black screen:
what a hub reads as a technical issue). ``{name}`` is replaced by the
product being presented.
"""

from __future__ import annotations

import numpy as np

CHATTER: tuple[str, ...] = (
    "来了来了", "主播好漂亮", "支持主播!", "好看", "已关注", "哈哈哈哈", "666",
    "第一次来直播间", "主播今天状态很好", "这个颜色好看", "刚下班赶上了", "冲冲冲",
    "{name}看着不错", "买过,质量很好", "老粉报到", "家人们晚上好",
    "hello from London", "love this!", "so cute", "first time here", "great show",
    "the {name} looks nice", "bought one last week, very happy",
)  # fmt: skip

QUESTION: tuple[str, ...] = (
    "多少钱?", "价格多少", "{name}什么价格", "链接在哪里", "求链接", "上链接!",
    "几号链接?", "尺码怎么选", "有大尺码吗", "尺码偏大还是偏小", "怎么买?",
    "怎么买啊新人不会", "有优惠券吗", "包邮吗",
    "price?", "what's the price of the {name}?", "link please", "where is the link?",
    "what size should I get?", "does it come in a bigger size?", "how to buy?",
)  # fmt: skip

COMPLAINT: tuple[str, ...] = (
    "太贵了", "上次买的还没发货", "客服不回消息", "质量一般", "怎么又涨价了",
    "抢不到", "库存这么少?", "{name}和图片不一样",
    "too expensive", "my last order never arrived", "sold out already?",
    "customer service never answers",
)  # fmt: skip

LAG: tuple[str, ...] = (
    "卡了", "好卡", "卡死了", "画面卡住了", "没声音了", "没声音?", "听不到声音",
    "黑屏了", "怎么黑屏了", "主播卡了吗",
    "lag", "so much lag", "no sound", "no sound?", "stream frozen", "it's frozen",
    "black screen",
)  # fmt: skip

BY_KIND: dict[str, tuple[str, ...]] = {
    "chatter": CHATTER,
    "question": QUESTION,
    "complaint": COMPLAINT,
    "lag": LAG,
}


def comment_text(rng: np.random.Generator, kind: str, product: str) -> str:
    """A text of ``kind`` drawn with ``rng``, naming ``product`` where the template does.

    >>> comment_text(np.random.default_rng(1), "lag", "Rabbit Night Light")
    '怎么黑屏了'
    """
    pool = BY_KIND[kind]
    return pool[int(rng.integers(len(pool)))].replace("{name}", product)
