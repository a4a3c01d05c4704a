"""Is a file that replaces a (kind, force, month) a plausible new release of it?

police.uk republishes months with updated outcome fields; the counts move by a few records. A
re-download cut short, a file with a stray quote (the rest of the file becomes one field), a
header-only file, the wrong month's rows under the month's name or a small extract all look like a
release too, and loading one would delete the month the store holds. So a replacement is compared
with what it replaces and refused, with the reasons, unless the user insists (``--replace``).
Thresholds and the reasoning behind them: docs/security-ingest.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safer_communities.errors import InputError


@dataclass(frozen=True)
class ReplacePolicy:
    """When a replacing file is refused (defaults: what a council analyst would call implausible)."""

    max_drop_share: float = 0.10     # valid rows of a month at most 10% fewer than the rows replaced
    max_reject_share: float = 0.05   # at most 5% of the file's rows rejected


DEFAULT_POLICY = ReplacePolicy()


@dataclass
class MonthRows:
    """For one month: rows the store holds, valid rows of the new file, rows of the file naming it."""

    month: date
    held: int
    valid: int


def _m(month: date | None) -> str:
    return month.strftime("%Y-%m") if month else "?"


def implausible(months: list[MonthRows], *, rows_read: int, rows_rejected: int,
                file_month: date | None, months_in_rows: dict[date | None, int],
                policy: ReplacePolicy = DEFAULT_POLICY) -> list[str]:
    """The reasons (empty: plausible) for refusing a file that replaces months the store holds.

    ``months`` are the months replaced with their held and new valid counts; ``months_in_rows``
    counts every row read (valid or not) by the month its ``Month``/``Date`` field holds.
    """
    replaced = [m for m in months if m.held > 0]
    if not replaced:
        return []
    reasons: list[str] = []
    for m in replaced:
        if m.valid == 0:
            reasons.append(f"it would delete the {m.held:,} rows held for {_m(m.month)} and load none")
        elif m.valid < m.held * (1 - policy.max_drop_share):
            drop = 1 - m.valid / m.held
            reasons.append(
                f"{_m(m.month)}: {m.valid:,} valid rows would replace {m.held:,} ({drop:.0%} fewer; a new "
                f"release may have at most {policy.max_drop_share:.0%} fewer)")
    if rows_read and rows_rejected > rows_read * policy.max_reject_share:
        reasons.append(f"{rows_rejected:,} of its {rows_read:,} rows are rejected "
                       f"({rows_rejected / rows_read:.0%}; at most {policy.max_reject_share:.0%})")
    if rows_read == 0:
        reasons.append("it holds no rows (a header line only)")
    if file_month is not None:
        other = {k: n for k, n in months_in_rows.items() if k != file_month}
        if other and sum(other.values()) > rows_read * policy.max_reject_share:
            listed = ", ".join(f"{_m(k)} ({n:,} rows)" for k, n in sorted(
                other.items(), key=lambda kv: -kv[1])[:3])
            reasons.append(f"it is named {_m(file_month)} but its rows hold {listed}")
    return reasons


def refuse(display: str, kind: str, force: str, months: list[MonthRows], reasons: list[str]) -> InputError:
    """The error for an implausible replacement (the whole command is rolled back)."""
    held = ", ".join(_m(m.month) for m in months if m.held > 0)
    return InputError(
        f"Refused to replace the {kind.replace('_', '-')} rows held for {force} {held}: the new "
        "file does not look like a complete release of it. Nothing was loaded.",
        found=f"{display}: " + "; ".join(reasons),
        hint="A download cut short, a stray quote, a header-only file or another month's file looks "
             "like this: download the file again. If this release really is right, run the command "
             "again with --replace. Thresholds: docs/security-ingest.md.")
