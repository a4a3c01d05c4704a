"""Which amendments the Director may approve under the Cabinet delegation, and which go to Cabinet.

Cabinet (16 January 2025, recommendation ii) delegated *minor* amendments only. What counts as minor is
declared in the register itself (``rules``), so it is versioned, shown and amended like every other
entry; every proposal records the rule that classed each of its changes. A change no rule matches is
not minor: the safe reading when a register declares nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from safer_communities.framework.loader import entry_data
from safer_communities.framework.model import Framework

Decision = Literal["delegated", "cabinet"]
NO_RULE = "no-rule"


@dataclass(frozen=True)
class Classed:
    """One change and the rule that classed it."""

    change: str
    decision: Decision
    rule_id: str
    rule: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Route:
    """How the whole amendment is decided, with the rule behind each change."""

    decision: Decision
    classed: list[Classed]

    @property
    def reason(self) -> str:
        """The rule that decided the route: the first Cabinet rule matched, else the delegation's."""
        deciding = next((c for c in self.classed if c.decision == self.decision), self.classed[0])
        return f"{deciding.rule} (rule '{deciding.rule_id}', {deciding.change})"

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "reason": self.reason,
                "classed": [c.to_dict() for c in self.classed]}


def _matches(rule: Any, kind: str, op: str, data: dict[str, Any], before: dict[str, Any] | None,
             after: dict[str, Any] | None) -> bool:
    if kind not in rule.kinds or op not in rule.ops:
        return False
    if rule.fields and (op != "update" or not set(rule.fields) & set(data)):
        return False
    if rule.where:
        states = [s for s in (before, after) if s is not None]
        return any(all(s.get(k) == v for k, v in rule.where.items()) for s in states)
    return True


def classify(current: Framework, changes: list[Any]) -> Route:
    """Class each change by the first rule of ``current`` that matches it."""
    from safer_communities.framework.amendments import merge_patch, normalise_kind

    classed = []
    for change in changes:
        kind = normalise_kind(change.kind)
        existing = current.get(kind, change.id)
        before = entry_data(existing) if existing is not None else None
        if change.op == "add":
            after: dict[str, Any] | None = {"id": change.id, **change.data}
        elif change.op == "remove":
            after = None
        else:
            after = merge_patch(before or {}, change.data)
        label = f"{change.op} {kind}/{change.id}"
        rule = next((r for r in current.rules
                     if _matches(r, kind, change.op, change.data, before, after)), None)
        if rule is None:
            classed.append(Classed(label, "cabinet", NO_RULE,
                                   "No rule in the register classes this change as minor, so Cabinet "
                                   "decides"))
        else:
            classed.append(Classed(label, rule.decision, rule.id, rule.name))
    decision: Decision = "cabinet" if any(c.decision == "cabinet" for c in classed) else "delegated"
    return Route(decision, classed)
