"""The register's entries as Pydantic models: the one definition the YAML, the JSON Schema and the
database all follow.

Every entry says where it comes from (``source``): a seed document, legislation, or ``proposed``
with a reason, so text the council has not adopted is never presented as its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100,
                            description="Lower-case identifier: letters, digits and single hyphens.")]
Text = Annotated[str, Field(min_length=1)]

Approach = Literal["prevention", "early-intervention", "support", "enforcement"]
APPROACHES: tuple[str, ...] = ("prevention", "early-intervention", "support", "enforcement")

PartnerCategory = Literal[
    "police", "pcc", "fire-and-rescue", "health-icb", "health-provider", "probation", "youth-justice",
    "local-authority", "criminal-justice", "violence-reduction", "education", "prisons",
    "youth-custody", "voluntary-sector", "housing", "home-office",
]
Cadence = Literal["quarterly", "six-monthly", "annual", "every-three-years", "every-four-years",
                  "per-case", "ongoing"]

# The Serious Violence Duty's specified authorities (PCSC Act 2022 s11 and Schedule 1), as categories.
SVD_SPECIFIED_AUTHORITIES: tuple[str, ...] = (
    "police", "fire-and-rescue", "health-icb", "local-authority", "youth-justice", "probation",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedSource(_Strict):
    """Stated in one of the seed documents (the Cabinet report of 16 January 2025 or its press release)."""

    type: Literal["seed"]
    document: Text = Field(description="Which seed document, e.g. 'Cabinet report 16 January 2025'.")
    paragraph: str | None = Field(default=None, description="Paragraph or passage, e.g. 'para 3'.")
    note: str | None = Field(default=None, description="What in the entry goes beyond the seed, and why.")


class LegislationSource(_Strict):
    """Set by law or statutory guidance."""

    type: Literal["legislation"]
    citation: Text = Field(description="e.g. 'Crime and Disorder Act 1998 s17'.")
    note: str | None = Field(default=None, description="What in the entry goes beyond the law, and why.")


class ProposedSource(_Strict):
    """Not in the seeds or the law: a proposal for the council to confirm (Appendix A is unavailable)."""

    type: Literal["proposed"]
    reason: Text = Field(description="Why this entry is proposed and what it rests on.")


Source = Annotated[SeedSource | LegislationSource | ProposedSource, Field(discriminator="type")]


class _Entry(_Strict):
    id: Slug
    name: Text
    source: Source


class Gap(_Strict):
    """A known absence of activity in one approach tier, reported rather than hidden."""

    approach: Approach
    reason: Text


class Issue(_Entry):
    """A community safety issue the framework addresses."""

    description: Text
    priority: bool = Field(
        description="A priority issue: checked for activity in every approach tier.")
    evidence_definitions: list[Slug] = Field(
        default_factory=list, description="Ids of the analysis definitions that measure this issue.")
    gaps: list[Gap] = Field(default_factory=list, description="Approach tiers known to have no activity.")


class Service(_Entry):
    """A council service (or named programme run by one)."""

    directorate: Text
    description: Text


class Partner(_Entry):
    """An organisation the council works with."""

    category: PartnerCategory
    description: Text


class Duty(_Entry):
    """A statutory duty the council holds (or shares), and how it shows compliance."""

    legislation: Text
    section: Text
    obligation: Text
    binds: Text = Field(description="Who the duty binds.")
    lead_service: Slug | None = Field(default=None,
                                      description="Service that leads on the duty for the council.")
    partners: list[Slug] = Field(default_factory=list)
    specified_authorities: list[PartnerCategory] = Field(
        default_factory=list,
        description="Partner categories the law names as bound together: the check requires a partner "
                    "of each category on this duty.")
    issues: list[Slug] = Field(default_factory=list)
    evidence_required: list[Text] = Field(min_length=1)
    review_cadence: Cadence


class AgeRange(_Strict):
    """Ages served; None at either end means no limit."""

    min: int | None = Field(default=None, ge=0, le=120)
    max: int | None = Field(default=None, ge=0, le=120)
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Activity(_Entry):
    """What is done: by which services, with which partners, on which issues, under which duties."""

    description: Text
    approaches: list[Approach] = Field(min_length=1)
    services: list[Slug] = Field(default_factory=list)
    partners: list[Slug] = Field(default_factory=list)
    issues: list[Slug] = Field(min_length=1)
    duties: list[Slug] = Field(default_factory=list)
    age_range: AgeRange | None = None


class Evidence(_Entry):
    """A record that shows a duty is met: what, where, when, and when it is next due."""

    duty: Slug
    what: Text
    document: Text
    link: str | None = None
    date: dt.date | None = None
    next_review: dt.date | None = None


KindName = Literal["issues", "services", "partners", "duties", "activities", "evidence", "rules"]
Op = Literal["add", "update", "remove"]


class Rule(_Entry):
    """How an amendment is decided: as a minor amendment under the Cabinet delegation, or by Cabinet.

    A change matches a rule when its kind and operation are listed, it touches one of ``fields`` (an
    update; empty means any field) and the entry, before or after the change, has every value in
    ``where``. Rules are tried in order and the first match classes the change; a change no rule
    matches is not minor. An amendment goes to Cabinet when any of its changes does.
    """

    description: Text
    decision: Literal["delegated", "cabinet"]
    kinds: list[KindName] = Field(min_length=1)
    ops: list[Op] = Field(default_factory=lambda: ["add", "update", "remove"], min_length=1)
    fields: list[str] = Field(default_factory=list)
    where: dict[str, bool | int | str] = Field(default_factory=dict)


# One YAML file per kind, in this order (references point to earlier kinds where they can).
KINDS: dict[str, type[_Entry]] = {
    "issues": Issue, "services": Service, "partners": Partner, "duties": Duty,
    "activities": Activity, "evidence": Evidence, "rules": Rule,
}
# Kinds whose file may be absent from a register folder (an older register declares no rules).
OPTIONAL_KINDS: frozenset[str] = frozenset({"rules"})
# The singular names used on the command line (`safer framework show issue ID`).
SINGULAR: dict[str, str] = {"issue": "issues", "service": "services", "partner": "partners",
                            "duty": "duties", "activity": "activities", "evidence": "evidence",
                            "rule": "rules"}
# (kind, field) -> kind the field refers to; list or single ids.
REFERENCES: dict[tuple[str, str], str] = {
    ("duties", "lead_service"): "services", ("duties", "partners"): "partners",
    ("duties", "issues"): "issues", ("activities", "services"): "services",
    ("activities", "partners"): "partners", ("activities", "issues"): "issues",
    ("activities", "duties"): "duties", ("evidence", "duty"): "duties",
}


class Framework(BaseModel):
    """A whole register: every kind, in file order."""

    model_config = ConfigDict(frozen=True)

    issues: list[Issue] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    partners: list[Partner] = Field(default_factory=list)
    duties: list[Duty] = Field(default_factory=list)
    activities: list[Activity] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    def entries(self, kind: str) -> list[_Entry]:
        return list(getattr(self, kind))

    def index(self, kind: str) -> dict[str, _Entry]:
        return {e.id: e for e in getattr(self, kind)}

    def get(self, kind: str, entry_id: str) -> _Entry | None:
        return self.index(kind).get(entry_id)

    def proposed(self) -> list[tuple[str, _Entry]]:
        """Every entry whose source is ``proposed``: the council has yet to adopt its text."""
        return [(kind, e) for kind in KINDS for e in getattr(self, kind) if e.source.type == "proposed"]
