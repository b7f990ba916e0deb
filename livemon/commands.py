"""Console commands (docs/protocol.md, "Console -> hub"): their arguments and guardrails.

Pure: ``check`` says whether a command may be carried out, and why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livemon.events import MAX_ID, MAX_NAME, MAX_STOCK, MAX_TEXT

PLATFORM_ACTIONS = frozenset({"coupon", "feature", "unfeature", "restock", "pin"})
HUB_ACTIONS = frozenset({"host", "mark", "ack", "plan"})
ACTIONS = PLATFORM_ACTIONS | HUB_ACTIONS


@dataclass(frozen=True)
class Guardrails:
    """Limits on coupons, from ``[guardrails]`` in the config."""

    max_discount_cents: int = 5_000
    max_coupon_count: int = 1_000
    max_coupons_per_session: int = 20


MAX_EXPIRES_S = 30 * 86400  # a coupon lasting longer than a month is a typo


def _int(args: dict[str, Any], key: str, low: int, required: bool = True,
         high: int = MAX_STOCK) -> str | None:  # fmt: skip
    value = args.get(key)
    if value is None:
        return f"args.{key} is missing" if required else None
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        return f"args.{key} must be an int >= {low}"
    if value > high:
        return f"args.{key} must be at most {high:,}"
    return None


def _str(args: dict[str, Any], key: str, required: bool = True,
         longest: int = MAX_ID) -> str | None:  # fmt: skip
    value = args.get(key)
    if value is None:
        return f"args.{key} is missing" if required else None
    if not isinstance(value, str) or not value:
        return f"args.{key} must be a non-empty string"
    if len(value) > longest:
        return f"args.{key} must be at most {longest} characters"
    return None


def check(action: Any, args: Any, rails: Guardrails, coupons_issued: int) -> str | None:
    """Why the command cannot be carried out, or ``None`` if it can.

    >>> check("coupon", {"discount_cents": 99_999, "count": 10}, Guardrails(), 0)
    'guardrail: discount 99999 cents is over the maximum of 5000'
    >>> check("restock", {"sku": "a", "add": 0}, Guardrails(), 0)
    'args.add must be an int >= 1'
    >>> check("dance", {}, Guardrails(), 0)  # doctest: +ELLIPSIS
    "unknown action 'dance' (actions: ack, coupon, feature, host, mark, pin, plan, restock, ...)"
    """
    if action not in ACTIONS:
        return f"unknown action {action!r} (actions: {', '.join(sorted(ACTIONS))})"
    if args is None:
        args = {}
    if not isinstance(args, dict):
        return "args must be a map"
    problem = None
    if action == "coupon":
        problem = (
            _int(args, "discount_cents", 1)
            or _int(args, "count", 1)
            or _str(args, "sku", required=False)
            or _int(args, "expires_s", 1, required=False, high=MAX_EXPIRES_S)
        )
        if problem is None:
            if args["discount_cents"] > rails.max_discount_cents:
                return (f"guardrail: discount {args['discount_cents']} cents is over the maximum"
                        f" of {rails.max_discount_cents}")  # fmt: skip
            if args["count"] > rails.max_coupon_count:
                return (f"guardrail: count {args['count']} is over the maximum of"
                        f" {rails.max_coupon_count}")  # fmt: skip
            if coupons_issued >= rails.max_coupons_per_session:
                return (f"guardrail: {coupons_issued} coupons already issued this session"
                        f" (maximum {rails.max_coupons_per_session})")  # fmt: skip
    elif action in ("feature",):
        problem = _str(args, "sku")
    elif action == "restock":
        problem = _str(args, "sku") or _int(args, "add", 1)
    elif action == "pin":
        problem = _str(args, "text", longest=MAX_TEXT)
    elif action == "host":
        problem = _str(args, "name", longest=MAX_NAME)
    elif action == "mark":
        problem = _str(args, "label", longest=MAX_NAME)
    elif action == "ack":
        problem = _str(args, "alert_id")
    elif action == "plan":
        from livemon.hub.plan import check_plan

        problem = check_plan(args)
    return problem
