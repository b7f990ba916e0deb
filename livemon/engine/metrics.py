"""The metric keys of a snapshot and what each means (served by ``livemon metrics --list``)."""

from __future__ import annotations

METRICS: dict[str, str] = {
    "online": "last reported concurrent viewers (在线人数)",
    "online_peak": "max online in the session (PCU)",
    "total_views": "last reported cumulative views (累计观看), else the sum of enter.n",
    "enters": "session total of enter.n",
    "enters_1m": "enter.n in the trailing 60 s of event time",
    "comments": "session total of comments",
    "comments_1m": "comments in the trailing 60 s",
    "likes": "session total of like.n",
    "likes_1m": "like.n in the trailing 60 s",
    "orders": "paid orders in the session minus refunded ones",
    "orders_1m": "the same in the trailing 60 s (a refund leaves the second its order was in)",
    "units": "units of paid orders minus refunded units",
    "gmv_cents": "sum of qty x price_cents of paid orders minus refunds",
    "gmv_1m_cents": "the same in the trailing 60 s",
    "buyers": "distinct buyers who placed an order in the session (a refund does not remove them)",
    "conv_1m": "orders in the window / viewer-minutes in the window x 1,000 "
    "(viewer-minutes = integral of online over the trailing 60 s of event time)",
    "conv_session": "buyers / total_views (销售转化率), a ratio, nil before any views",
    "gpm_cents": "1,000 x gmv_cents / total_views (千次观看成交金额), nil before any views",
    "refunds": "refunds counted in the session",
}
PRODUCT_METRICS: dict[str, str] = {
    "rate_1m": "units sold in the trailing 60 s, per minute (a plain window, not smoothed)",
    "eta_s": "stock / rate_1m in seconds to stock-out; nil when not selling or stock unknown",
    "sold": "units sold minus refunded units",
    "gmv_cents": "the product's GMV minus refunds",
    "stock": "the platform's stock, lowered by each order (never below 0) until a stock event "
             "sets it; nil if unknown",
}  # fmt: skip
