"""What a delivery adds to the feed: de-duplication and routing, with no I/O.

Shops deliver at least once: a delivery they think failed comes again, with
the same webhook id, and the same order may arrive under several topics
(``orders/create``, then ``orders/paid``). A delivery id seen before counts
nothing; an order line or refund already sent is not sent again. Both
memories are bounded (oldest forgotten first); past them the hub's own
per-room ``order_id`` de-duplication still holds.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from livemon.adapters.feed import SeenIds
from plugins.webhook import generic, shopify
from plugins.webhook.values import MISSING, PayloadError, dig, epoch

log = logging.getLogger("livemon.adapter.webhook")


@dataclass
class Outcome:
    """What one delivery did: the events to feed, and the HTTP answer's body."""

    events: list[dict[str, Any]]
    duplicate: bool = False
    note: str = ""

    def answer(self) -> dict[str, Any]:
        body: dict[str, Any] = {"counted": len(self.events), "duplicate": self.duplicate}
        if self.note:
            body["note"] = self.note
        return body


class Intake:
    """Turns verified deliveries into events, once each.

    >>> intake = Intake(room="r", paid=("paid",), order_time=False, fields={}, remember=100)
    >>> order = {"id": 1, "financial_status": "paid", "line_items": [
    ...     {"id": 2, "sku": "A", "quantity": 1, "price": "5.00"}]}
    >>> len(intake.shopify("orders/create", "d-1", order, 10.0).events)
    1
    >>> intake.shopify("orders/create", "d-1", order, 11.0).duplicate  # the same delivery again
    True
    >>> len(intake.shopify("orders/paid", "d-2", order, 12.0).events)  # the same line, new topic
    0
    """

    def __init__(self, room: str, paid: tuple[str, ...], order_time: bool,
                 fields: dict[str, str], remember: int) -> None:  # fmt: skip
        self.room = room
        self.paid = paid
        self.order_time = order_time
        self.fields = fields
        self.deliveries = SeenIds(remember)
        self.sent = SeenIds(remember)  # order-line ids and "refund:<id>" already fed
        self.lines_of: OrderedDict[str, list[str]] = OrderedDict()  # order -> its line ids

    def shopify(self, topic: str, delivery: str | None, payload: Any, now: float) -> Outcome:
        """A Shopify-style delivery of ``topic``; ``PayloadError`` if it cannot be read."""
        if not isinstance(payload, dict):
            raise PayloadError("the body must be a JSON object")
        if delivery and delivery in self.deliveries:
            return Outcome([], duplicate=True)
        if topic in shopify.ORDER_TOPICS:
            events = shopify.order_events(payload, self.room, now, self.paid, self.order_time)
            note = "" if events else f"order not paid yet ({payload.get('financial_status')})"
            outcome = Outcome(self._new_orders(events), note=note)
        elif topic in shopify.REFUND_TOPICS:
            events, notes = shopify.refund_events(payload, self.room, now, self.order_time)
            for note in notes:
                log.warning("%s", note)
            outcome = Outcome(self._new_refunds(events), note="; ".join(notes))
        else:
            outcome = Outcome([], note=f"topic {topic or '(none)'} is not counted")
        self._delivered(delivery, outcome)
        return outcome

    def generic_order(self, delivery: str | None, payload: Any, now: float) -> Outcome:
        """A generic JSON order read through the field mapping."""
        if delivery and delivery in self.deliveries:
            return Outcome([], duplicate=True)
        events = generic.order_events(payload, self.fields, self.room, now)
        outcome = Outcome(self._new_orders(events), note="" if events else "order not paid")
        self._delivered(delivery, outcome)
        return outcome

    def generic_refund(self, delivery: str | None, payload: Any, now: float) -> Outcome:
        """A generic JSON refund: the lines it names, else every line sent for the order."""
        if delivery and delivery in self.deliveries:
            return Outcome([], duplicate=True)
        order, line_ids = generic.refund_ids(payload, self.fields)
        if line_ids is None:
            line_ids = list(self.lines_of.get(order, [order]))
        ts = now
        if "ts" in self.fields:
            when = dig(payload, self.fields["ts"])
            ts = epoch(when, self.fields["ts"]) if when is not MISSING else now
        events = [{"type": "refund", "room": self.room, "ts": ts, "order_id": i} for i in line_ids]
        outcome = Outcome(self._new_refunds(events))
        self._delivered(delivery, outcome)
        return outcome

    def forget(self, delivery: str | None, events: list[dict[str, Any]]) -> None:
        """Forget a delivery and the events it fed (the hub did not record them in time):
        the shop's retry of it is counted again."""
        if delivery:
            self.deliveries.discard(delivery)
        for e in events:
            if e["type"] == "refund":
                self.sent.discard(_refund_key(e))
                continue
            self.sent.discard(e["order_id"])
            lines = self.lines_of.get(_order_of(e["order_id"]))
            if lines is not None and e["order_id"] in lines:
                lines.remove(e["order_id"])

    def _new_orders(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fresh = [e for e in events if self.sent.add(e["order_id"])]
        for e in fresh:
            order = _order_of(e["order_id"])
            self.lines_of.setdefault(order, []).append(e["order_id"])
            self.lines_of.move_to_end(order)
            if len(self.lines_of) > self.sent.size:
                self.lines_of.popitem(last=False)
        return fresh

    def _new_refunds(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in events if self.sent.add(_refund_key(e))]

    def _delivered(self, delivery: str | None, outcome: Outcome) -> None:
        if delivery:
            self.deliveries.add(delivery)
        if not outcome.events and not outcome.note:
            outcome.duplicate = True  # a new delivery of lines already fed


def _order_of(line_id: str) -> str:
    """The order a fed line id belongs to (``ORDER:LINE``, or the order's own id).

    >>> _order_of("1001:7"), _order_of("1001")
    ('1001', '1001')
    """
    return line_id.rsplit(":", 1)[0]


def _refund_key(event: dict[str, Any]) -> str:
    """The id a refund event is remembered by (apart from the order lines it refunds)."""
    return "refund:" + event["order_id"]
