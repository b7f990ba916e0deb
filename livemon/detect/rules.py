"""Rules a user writes in config (``[[detect.rules]]``): a condition, a duration, words, an action.

A rule is a condition over the snapshot's metrics and the featured product,
for example ``conv_1m < 0.7 * conv_10m and featured_stock > 0``, that must
hold ``for_s`` closed seconds in a row to raise an alert of kind
``rule:<name>`` with the rule's severity, message and suggested action. It
is evaluated once per closed second of event time, like every per-second
detector, so a replay raises the same alerts at the same times.

The condition is parsed with Python's ``ast`` and only a whitelist of nodes
is accepted (numbers, ``True``/``False``/``None``, the names in
``VARIABLES``, ``+ - * / %``, comparisons, ``and or not``, parentheses);
it is then turned into plain closures, never handed to ``eval``. A metric
without a value (``conv_1m`` before any viewer-minute, ``featured_stock``
with nothing featured) makes any comparison with it false. A bad rule is
refused at start with ``RuleError``, naming the rule, the column in the
condition and the reason.

>>> rule = Rule.compile({"name": "slow", "when": "orders_1m < 5 and online > 100",
...                      "for_s": 2, "message": "only {orders_1m} orders among {online}"})
>>> rule.check({"orders_1m": 3, "online": 500}), rule.message({"orders_1m": 3, "online": 500})
(True, 'only 3 orders among 500')
>>> Rule.compile({"name": "bad", "when": "online > 100 and __import__('os')"})
Traceback (most recent call last):
livemon.detect.rules.RuleError: rule 'bad': column 18: a call is not allowed (only numbers, \
names, + - * / %, comparisons, and/or/not)
"""

from __future__ import annotations

import ast
import operator
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from livemon.detect.base import Second, SecondDetector, Suggestion
from livemon.engine.metrics import METRICS

# Names a rule may use beyond the snapshot metrics, with their definitions.
EXTRA_VARIABLES: dict[str, str] = {
    "conv_10m": "orders per 1,000 viewer-minutes over the trailing 10 minutes (like conv_1m)",
    "orders_10m": "orders in the trailing 10 minutes of event time",
    "featured_stock": "stock of the featured product; nil if none is featured or it is unknown",
    "featured_rate_1m": "units per minute of the featured product (trailing 60 s)",
    "featured_eta_s": "seconds to stock-out of the featured product; nil when not selling",
    "featured_price_cents": "price of the featured product",
    "featured_sold": "units of the featured product sold in the session",
    "coupon_live": "1 while a coupon is live, else 0",
}
VARIABLES: dict[str, str] = {**METRICS, **EXTRA_VARIABLES}
SEVERITIES = ("warn", "crit")
ACTIONS = ("coupon", "feature", "unfeature", "restock", "pin", "mark")
KEYS = ("name", "when", "for_s", "severity", "message", "suggest")
TEN_MIN_S = 600

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Mod: operator.mod,
}  # fmt: skip
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}  # fmt: skip
_WHAT = {
    ast.Call: "a call", ast.Attribute: "an attribute", ast.Subscript: "an index",
    ast.Lambda: "a lambda", ast.NamedExpr: "an assignment", ast.IfExp: "an if-expression",
    ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
    ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
    ast.JoinedStr: "an f-string", ast.Starred: "a star",
}  # fmt: skip
_ALLOWED = "only numbers, names, + - * / %, comparisons, and/or/not"

Expr = Callable[[Mapping[str, Any]], Any]


class RuleError(ValueError):
    """A rule that cannot be used: the message names the rule, where, and why."""


def _compile(node: ast.AST, fail: Callable[[ast.AST, str], RuleError]) -> Expr:
    """A closure computing ``node`` from the variables; a ``RuleError`` for any other node."""
    if isinstance(node, ast.Constant):
        value = node.value
        if value is not None and not isinstance(value, int | float):
            raise fail(node, f"{type(value).__name__} {value!r} is not a number")
        return lambda v: value
    if isinstance(node, ast.Name):
        name = node.id
        if name not in VARIABLES:
            raise fail(node, f"unknown name {name!r} (livemon metrics --list shows the names)")
        return lambda v: v.get(name)
    if isinstance(node, ast.BoolOp):
        parts = [_compile(x, fail) for x in node.values]
        # Plain loops, not all()/any() over a generator: this runs every second.
        if isinstance(node.op, ast.And):

            def conjunction(v: Mapping[str, Any]) -> bool:
                for part in parts:
                    if not part(v):
                        return False
                return True

            return conjunction

        def disjunction(v: Mapping[str, Any]) -> bool:
            for part in parts:
                if part(v):
                    return True
            return False

        return disjunction
    if isinstance(node, ast.UnaryOp):
        inner = _compile(node.operand, fail)
        if isinstance(node.op, ast.Not):
            return lambda v: not inner(v)
        if isinstance(node.op, ast.USub):
            return lambda v: None if (x := inner(v)) is None else -x
        if isinstance(node.op, ast.UAdd):
            return inner
        raise fail(node, "~ is not allowed (" + _ALLOWED + ")")
    if isinstance(node, ast.BinOp):
        op = _BINARY.get(type(node.op))
        if op is None:
            raise fail(node, f"operator {type(node.op).__name__} is not allowed ({_ALLOWED})")
        left, right = _compile(node.left, fail), _compile(node.right, fail)

        def binary(v: Mapping[str, Any]) -> Any:
            a, b = left(v), right(v)
            if a is None or b is None:
                return None
            try:
                return op(a, b)
            except ZeroDivisionError:
                return None  # no value, like a metric not defined yet

        return binary
    if isinstance(node, ast.Compare):
        terms = [_compile(node.left, fail)] + [_compile(x, fail) for x in node.comparators]
        ops = []
        for o in node.ops:
            if type(o) not in _COMPARE:
                raise fail(node, f"comparison {type(o).__name__} is not allowed ({_ALLOWED})")
            ops.append(_COMPARE[type(o)])

        if len(ops) == 1:  # the usual ``a < b``, without the lists
            left, right, op1 = terms[0], terms[1], ops[0]

            def compare_one(v: Mapping[str, Any]) -> bool:
                a, b = left(v), right(v)
                if a is None or b is None:
                    return False  # a metric without a value never satisfies a comparison
                return bool(op1(a, b))

            return compare_one

        def compare(v: Mapping[str, Any]) -> bool:
            values = [t(v) for t in terms]
            if any(x is None for x in values):
                return False  # a metric without a value never satisfies a comparison
            return all(op(values[i], values[i + 1]) for i, op in enumerate(ops))

        return compare
    what = _WHAT.get(type(node), type(node).__name__)
    raise fail(node, f"{what} is not allowed ({_ALLOWED})")


class Rule:
    """One compiled rule: ``check(variables)``, ``message(variables)`` and its settings."""

    def __init__(self, name: str, when: str, check: Expr, for_s: int, severity: str,
                 template: str, suggest: dict[str, Any] | None) -> None:  # fmt: skip
        self.name, self.when, self._check = name, when, check
        self.for_s, self.severity, self.template = for_s, severity, template
        self.suggest = suggest
        self.names = sorted({n.id for n in ast.walk(ast.parse(when, mode="eval"))
                             if isinstance(n, ast.Name)})  # fmt: skip
        # Every name it reads: the condition's, its message's and its suggestion's.
        shown = [template] + [v for v in (suggest or {}).get("args", {}).values()
                              if isinstance(v, str)]  # fmt: skip
        self.uses = frozenset(self.names).union(
            field for text in shown for _, field, _, _ in string.Formatter().parse(text)
            if field is not None)  # fmt: skip

    @classmethod
    def compile(cls, spec: Mapping[str, Any]) -> Rule:
        """Check and compile a rule's settings; ``RuleError`` says what is wrong and where."""
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip() or any(c in name for c in " \t\n"):
            raise RuleError(f"a rule needs a name without spaces, got {name!r}")

        def bad(reason: str) -> RuleError:
            return RuleError(f"rule {name!r}: {reason}")

        unknown = sorted(set(spec) - set(KEYS))
        if unknown:
            raise bad(f"unknown key {unknown[0]!r} (keys: {', '.join(KEYS)})")
        when = spec.get("when")
        if not isinstance(when, str) or not when.strip():
            raise bad("'when' must be a condition, e.g. \"conv_1m < 0.7 * conv_10m\"")
        text = when.strip()
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            if not exc.offset:  # Python points nowhere when the text stops too soon
                raise bad(f"column {len(text) + 1}: {exc.msg} (the condition ends too soon)"
                          ) from None  # fmt: skip
            raise bad(f"column {exc.offset}: {exc.msg}") from None

        def fail(node: ast.AST, reason: str) -> RuleError:
            return bad(f"column {getattr(node, 'col_offset', 0) + 1}: {reason}")

        check = _compile(tree.body, fail)
        for_s = spec.get("for_s", 0)
        if isinstance(for_s, bool) or not isinstance(for_s, int | float) or for_s < 0:
            raise bad(f"'for_s' must be a number of seconds >= 0, got {for_s!r}")
        severity = spec.get("severity", "warn")
        if severity not in SEVERITIES:
            raise bad(f"'severity' must be warn or crit, got {severity!r}")
        template = spec.get("message", f"rule {name}: {when}")
        if not isinstance(template, str):
            raise bad(f"'message' must be a string, got {template!r}")
        _check_template(template, bad)
        suggest = _check_suggest(spec.get("suggest"), bad)
        return cls(name, when.strip(), check, int(for_s), severity, template, suggest)

    def check(self, variables: Mapping[str, Any]) -> bool:
        """Whether the condition holds for these values."""
        return bool(self._check(variables))

    def message(self, variables: Mapping[str, Any]) -> str:
        """The message with ``{name}`` fields filled in (a missing value shows as ``—``)."""
        out = []
        for text, field, spec, _ in string.Formatter().parse(self.template):
            out.append(text)
            if field is not None:
                value = variables.get(field)
                out.append("—" if value is None else format(value, spec or ""))
        return "".join(out)


def _check_template(template: str, bad: Callable[[str], RuleError]) -> None:
    """Only ``{name}`` or ``{name:spec}`` of a known variable (no attributes or indexes)."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise bad(f"'message': {exc}") from None
    for _, field, spec, conversion in fields:
        if field is None:
            continue
        if field not in VARIABLES or conversion:
            raise bad(f"'message': {{{field}}} is not a name it can show "
                      "(livemon metrics --list shows the names)")  # fmt: skip
        try:
            format(1.5, spec or "")
        except ValueError:
            raise bad(f"'message': format {spec!r} of {{{field}}} is not a number format") from None


def _check_suggest(value: Any, bad: Callable[[str], RuleError]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("action") not in ACTIONS:
        raise bad(f"'suggest' must be {{action = ..., args = {{...}}}} with action one of "
                  f"{', '.join(ACTIONS)}, got {value!r}")  # fmt: skip
    args = value.get("args", {})
    if not isinstance(args, Mapping):
        raise bad(f"'suggest.args' must be a table, got {args!r}")
    for key in ("text", "label"):
        if isinstance(args.get(key), str):
            _check_template(args[key], bad)
    return {"action": value["action"], "args": dict(args)}


def compile_rules(specs: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Every rule compiled; the first bad one raises ``RuleError``; names must be unique."""
    rules = [Rule.compile(spec) for spec in specs]
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise RuleError(f"rule {rule.name!r}: two rules have this name")
        seen.add(rule.name)
    return rules


class RuleInputs:
    """The values rules see for a closed second, computed once per second for all rules.

    Keeps the trailing 10 minutes of orders and viewer-seconds in rings (O(1)
    per second) for ``conv_10m`` and ``orders_10m``. Given the room's
    ``rules``, only the names they read are computed (the snapshot metrics
    in one go if any is read); without, every name.
    """

    def __init__(self, rules: Sequence[Rule] | None = None) -> None:
        self._orders = [0] * TEN_MIN_S
        self._exposure = [0.0] * TEN_MIN_S
        self._sum_orders = 0
        self._sum_exposure = 0.0
        self._sec: int | None = None
        self._values: dict[str, Any] = {}
        uses = (frozenset(VARIABLES) if rules is None
                else frozenset().union(*(rule.uses for rule in rules)))  # fmt: skip
        self._metrics = bool(uses & METRICS.keys())
        self._ten_min = bool(uses & {"conv_10m", "orders_10m"})
        self._featured = sorted(uses & {n for n in EXTRA_VARIABLES if n.startswith("featured_")})

    def at(self, second: Second) -> dict[str, Any]:
        """The variables of ``second`` (the same dict for every rule of that second)."""
        if second.sec == self._sec:
            return self._values
        self._sec = second.sec
        i = second.sec % TEN_MIN_S
        self._sum_orders += second.orders - self._orders[i]
        self._sum_exposure += second.viewer_s - self._exposure[i]
        self._orders[i], self._exposure[i] = second.orders, second.viewer_s
        state = second.state
        values: dict[str, Any] = state.metrics() if self._metrics else {}  # a fresh dict
        if self._ten_min:
            minutes = self._sum_exposure / 60.0
            values["orders_10m"] = self._sum_orders
            values["conv_10m"] = round(self._sum_orders / minutes * 1000, 3) if minutes else None
        if self._featured:
            product = state.products.get(state.featured) if state.featured else None
            now = state.newest_sec or 0
            for name in self._featured:
                values[name] = None if product is None else _FEATURED[name](product, now)
        values["coupon_live"] = 1 if second.coupon_live else 0
        self._values = values
        return values


# The featured product's values, by name.
_FEATURED: dict[str, Callable[[Any, int], Any]] = {
    "featured_stock": lambda p, now: p.stock,
    "featured_rate_1m": lambda p, now: p.rate_1m(now),
    "featured_eta_s": lambda p, now: p.eta_s(now),
    "featured_price_cents": lambda p, now: p.price_cents,
    "featured_sold": lambda p, now: p.sold,
}


class RuleDetector(SecondDetector):
    """One user rule as a per-second detector: alarms once its condition held ``for_s`` seconds.

    It clears as soon as the condition stops holding (the alert lifecycle's
    minimum open time keeps it from flapping). The onset is the first second
    of the run of seconds in which the condition held.

    >>> from livemon.engine.room import RoomState
    >>> rule = Rule.compile({"name": "quiet", "when": "comments_1m < 1", "for_s": 3})
    >>> detector, room = RuleDetector(rule, RuleInputs()), RoomState("r")
    >>> for sec in range(5):
    ...     detector.observe(Second(sec, 0, 0.0, 0, room))
    ...     print(sec, detector.alarm, detector.onset)
    0 False None
    1 False None
    2 True 0.0
    3 True 0.0
    4 True 0.0
    """

    def __init__(self, rule: Rule, inputs: RuleInputs) -> None:
        self.rule = rule
        self.inputs = inputs
        self.kind = f"rule:{rule.name}"  # type: ignore[misc]
        self._since: int | None = None
        self._values: Mapping[str, Any] = {}

    def clone(self) -> RuleDetector:
        """A fresh detector of the same rule, with inputs of its own."""
        return RuleDetector(self.rule, RuleInputs([self.rule]))

    def __repr__(self) -> str:
        return f"RuleDetector({self.rule.name!r}: {self.rule.when!r} for {self.rule.for_s} s)"

    @property
    def evidence(self) -> dict[str, float]:
        """The held seconds and every number the condition names, as they were."""
        out = {"held_s": float(self._held)}
        for name in self.rule.names:
            value = self._values.get(name)
            if isinstance(value, int | float):
                out[name] = float(value)
        return out

    _held = 0

    def observe(self, second: Second) -> None:
        """Evaluate the condition on this closed second's values."""
        values = self.inputs.at(second)
        self._values = values
        if not self.rule.check(values):
            self._since, self._held, self._alarm = None, 0, False
            return
        if self._since is None:
            self._since = second.sec
        self._held = second.sec - self._since + 1
        if self._held >= max(1, self.rule.for_s):
            if not self._alarm:
                self._onset = float(self._since)
            self._alarm, self._severity = True, self.rule.severity  # type: ignore[assignment]

    def detail(self, second: Second) -> str:
        """The rule's message, filled in with this second's values."""
        return self.rule.message(self._values)

    def suggest(self, second: Second) -> Suggestion:
        """The rule's suggested action (``pin`` / ``mark`` text is filled in like the message)."""
        suggest = self.rule.suggest
        if suggest is None:
            return None
        args = dict(suggest["args"])
        for key in ("text", "label"):
            if isinstance(args.get(key), str):
                probe = Rule(self.rule.name, self.rule.when, self.rule._check, 0, "warn",
                             args[key], None)  # fmt: skip
                args[key] = probe.message(self._values)
        return {"action": suggest["action"], "args": args}
