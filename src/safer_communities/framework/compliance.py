"""Compliance rated per duty: green, amber or red, each with its due date and the rule that rated it.

A duty with a review cycle is due at the latest ``next_review`` of its evidence or, without one, a
cycle after its latest dated evidence; amber when that falls within ``amber_days``; red when it has
passed, when no evidence is recorded, or when no evidence has a date (so nothing says when it is due).
A per-case duty (case reviews) is rated by the clocks of its open cases when they are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Literal

from safer_communities.framework.model import Framework

Rating = Literal["green", "amber", "red"]
CYCLE_MONTHS = {"quarterly": 3, "six-monthly": 6, "annual": 12, "every-three-years": 36,
                "every-four-years": 48}
DEFAULT_AMBER_DAYS = 60


@dataclass(frozen=True)
class CaseClocks:
    """What the case-review register says of one per-case duty's open cases."""

    overdue: int
    due_soon: int
    open: int


@dataclass(frozen=True)
class DutyRating:
    """One duty's rating, with the due date and the rule, so a reader can check it."""

    duty_id: str
    duty: str
    cadence: str
    evidence_items: int
    latest_evidence: date | None
    due: date | None
    rating: Rating
    rule: str

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        for key in ("latest_evidence", "due"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the last day of the month when it has fewer days)."""
    import calendar

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def rate(framework: Framework, today: date, *, amber_days: int = DEFAULT_AMBER_DAYS,
         cases: Mapping[str, CaseClocks] | None = None) -> list[DutyRating]:
    """Rate every duty of the register on ``today``, in register order."""
    if amber_days < 0:
        from safer_communities.errors import InputError

        raise InputError("The amber window cannot be negative.", found=str(amber_days),
                         hint="Give the number of days before a due date that a duty turns amber.")
    out = []
    for duty in framework.duties:
        evidence = [e for e in framework.evidence if e.duty == duty.id]
        dates = [e.date for e in evidence if e.date]
        reviews = [e.next_review for e in evidence if e.next_review]
        latest = max(dates) if dates else None
        due: date | None = None
        clocks = (cases or {}).get(duty.id) if duty.review_cadence == "per-case" else None
        if clocks is not None:  # the case review register is the evidence of a per-case duty
            if clocks.overdue:
                rating, rule = "red", (f"Per case: {clocks.overdue} of {clocks.open} open case review(s) "
                                       "are past a statutory or local deadline.")
            elif clocks.due_soon:
                rating, rule = "amber", (f"Per case: {clocks.due_soon} open case review(s) reach a deadline "
                                         f"within {amber_days} days.")
            else:
                rating, rule = "green", f"Per case: none of {clocks.open} open case review(s) is overdue."
        elif not evidence:
            rating, rule = "red", "No evidence of compliance is recorded."
        elif duty.review_cadence == "per-case":
            rating, rule = "green", ("Per case: evidence is recorded and no open case review is registered "
                                     "against this duty.")
        elif duty.review_cadence == "ongoing":
            rating, rule = "green", "Ongoing duty with no review cycle: evidence is recorded."
        else:
            months = CYCLE_MONTHS[duty.review_cadence]
            if reviews:
                due, basis = max(reviews), "the latest next review date of its evidence"
            elif latest:
                due, basis = add_months(latest, months), f"{months} months ({duty.review_cadence}) after " \
                                                         f"the latest evidence, dated {latest:%d %B %Y}"
            if due is None:
                rating, rule = "red", ("Evidence is recorded but none has a date or a next review date, so "
                                       "when it is due cannot be worked out.")
            elif due < today:
                rating, rule = "red", f"Overdue: due {due:%d %B %Y} ({basis})."
            elif (due - today).days <= amber_days:
                rating, rule = "amber", (f"Due within {amber_days} days: {due:%d %B %Y} ({basis}).")
            else:
                rating, rule = "green", f"Current: next due {due:%d %B %Y} ({basis})."
        out.append(DutyRating(duty.id, duty.name, duty.review_cadence, len(evidence), latest, due,
                              rating, rule))  # type: ignore[arg-type]
    return out


def summary(ratings: list[DutyRating]) -> dict[str, int]:
    """How many duties are green, amber and red."""
    return {colour: sum(r.rating == colour for r in ratings) for colour in ("green", "amber", "red")}
