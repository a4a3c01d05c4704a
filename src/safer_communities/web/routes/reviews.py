"""Case reviews in the web app: the register with its clocks (every signed-in user), forms for editors and
approvers to register reviews and record their dates, and read-only API endpoints. Every write is
audited; the compliance ratings of the register are served beside them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safer_communities.errors import InputError, PermissionDeniedError, SaferError
from safer_communities.framework import compliance, register
from safer_communities.reviews import register as reviews
from safer_communities.reviews.clocks import clocks
from safer_communities.web import audit, deps
from safer_communities.web.accounts import Account
from safer_communities.web.api_responses import error_responses
from safer_communities.web.routes.common import render
from safer_communities.web.security import client_ip

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"], responses=error_responses())
Reader = Annotated[Account, Depends(deps.require("read"))]
Csrf = [Depends(deps.csrf)]
Reference = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,49}$")]
WRITERS = frozenset(reviews.EDITORS)


def _writer(account: Account) -> Account:
    if not account.roles & WRITERS:
        raise PermissionDeniedError("Your roles do not allow this (update case reviews).",
                                    found=f"{account.name}: {', '.join(sorted(account.roles)) or 'none'}",
                                    hint="It needs the role: editor or approver. Ask an administrator.")
    return account


def _day(value: str, label: str, *, required: bool = False) -> date | None:
    if not value.strip():
        if required:
            raise InputError(f"{label} is needed.", found="an empty date", hint="Use the date picker.")
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"{label} must be a date.", found=repr(value[:40]),
                         hint="Use the date picker, or write YYYY-MM-DD.") from exc


def _amber(request: Request) -> int:
    return request.app.state.settings.compliance_amber_days


def _list_page(request: Request, account: Account, *, problem: dict[str, Any] | None = None,
               form: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    views = reviews.list_reviews(request.app.state.engine, amber_days=_amber(request))
    return render(request, "reviews.html", {
        "reviews": views, "kinds": reviews.KINDS, "problem": problem, "form": form or {},
        "can_write": bool(account.roles & WRITERS), "clocks": clocks(), "today": date.today()},
        account=account, status_code=status_code)


@pages.get("/reviews", response_class=HTMLResponse)
def reviews_page(request: Request, account: Reader) -> HTMLResponse:
    return _list_page(request, account)


@pages.post("/reviews", dependencies=Csrf)
def add_review(request: Request, account: Reader, kind: Annotated[str, Form(max_length=10)],
               reference: Annotated[str, Form(max_length=60)], area_code: Annotated[str, Form(max_length=12)],
               notified_on: Annotated[str, Form(max_length=20)]) -> Response:
    _writer(account)
    engine = request.app.state.engine
    form = {"kind": kind, "reference": reference, "area_code": area_code, "notified_on": notified_on}
    try:
        day = _day(notified_on, "The date the review was notified", required=True)
        reviews.add(engine, kind=kind, reference=reference, area_code=area_code.strip(), notified_on=day,
                    by=account.name)
    except SaferError as exc:
        return _list_page(request, account, problem=exc.to_dict(), form=form, status_code=422)
    audit.record(engine, actor=account.name, action="case_review_added", obj=reference.strip(),
                 ip=client_ip(request), detail=f"{kind} in {area_code}, notified {day}")
    return RedirectResponse(f"/reviews/{reference.strip()}", status_code=303)


def _review_page(request: Request, account: Account, reference: str, *,
                 problem: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    engine = request.app.state.engine
    view = reviews.get(engine, reference, amber_days=_amber(request))
    can_write = bool(account.roles & WRITERS)
    return render(request, "review.html", {
        "review": view, "kind_name": reviews.KINDS[view.kind], "labels": reviews.LABELS[view.kind],
        "decisions": reviews.DECISIONS[view.kind], "problem": problem, "can_write": can_write,
        "can_sign_off": "approver" in account.roles, "today": date.today(),
        "choices": reviews.recommendation_choices(engine) if can_write else None},
        account=account, status_code=status_code)


@pages.get("/reviews/{reference}", response_class=HTMLResponse)
def review_page(request: Request, account: Reader, reference: Reference) -> HTMLResponse:
    return _review_page(request, account, reference)


@pages.post("/reviews/{reference}", dependencies=Csrf)
def update_review(request: Request, account: Reader, reference: Reference,
                  decision: Annotated[str, Form(max_length=20)] = "",
                  decided_on: Annotated[str, Form(max_length=20)] = "",
                  panel_on: Annotated[str, Form(max_length=20)] = "",
                  draft_on: Annotated[str, Form(max_length=20)] = "",
                  qa_submitted_on: Annotated[str, Form(max_length=20)] = "",
                  published_on: Annotated[str, Form(max_length=20)] = "",
                  recommendations_made: Annotated[str, Form(max_length=5)] = "",
                  closed_on: Annotated[str, Form(max_length=20)] = "") -> Response:
    _writer(account)
    engine = request.app.state.engine
    try:
        values = {"decision": decision or None, "decided_on": _day(decided_on, "The decision date"),
                  "panel_on": _day(panel_on, "The panel date"), "draft_on": _day(draft_on, "The draft date"),
                  "qa_submitted_on": _day(qa_submitted_on, "The quality assurance date"),
                  "published_on": _day(published_on, "The publication date"),
                  "recommendations_made": {"yes": True, "no": False}.get(recommendations_made),
                  "closed_on": _day(closed_on, "The closing date")}
        done = reviews.update(engine, reference, by=account.name, **values)
    except PermissionDeniedError as exc:  # an editor signing off: 403, and the refusal is on record
        audit.record(engine, actor=account.name, action="case_review_updated_refused", obj=reference,
                     ip=client_ip(request), detail=exc.what)
        raise
    except SaferError as exc:
        return _review_page(request, account, reference, problem=exc.to_dict(), status_code=422)
    audit.record(engine, actor=account.name, action="case_review_updated", obj=reference,
                 ip=client_ip(request),
                 detail="; ".join(f"{k} {a} -> {b}" for k, (a, b) in done.items()) or "no change")
    return RedirectResponse(f"/reviews/{reference}", status_code=303)


@pages.post("/reviews/{reference}/recommendations", dependencies=Csrf)
def add_recommendation(request: Request, account: Reader, reference: Reference,
                       title: Annotated[str, Form(max_length=300)],
                       objective: Annotated[str, Form(max_length=210)],
                       owner: Annotated[str, Form(max_length=120)],
                       due_on: Annotated[str, Form(max_length=20)]) -> Response:
    """Track a recommendation as a strategy action (editors and approvers), as 'safer reviews recommend'."""
    _writer(account)
    engine = request.app.state.engine
    try:
        strategy_id, _, objective_id = objective.partition("/")
        owner_kind, _, owner_id = owner.partition("/")
        due = _day(due_on, "The due date", required=True)
        action_id = reviews.recommend(engine, reference, by=account.name, title=title,
                                      strategy_id=strategy_id, objective_id=objective_id,
                                      owner_kind=owner_kind, owner_id=owner_id, due_on=due)
    except PermissionDeniedError:
        raise
    except SaferError as exc:
        return _review_page(request, account, reference, problem=exc.to_dict(), status_code=422)
    audit.record(engine, actor=account.name, action="case_review_recommendation", obj=reference,
                 ip=client_ip(request), detail=f"{action_id} in {objective}, owner {owner}, due {due}")
    return RedirectResponse(f"/reviews/{reference}", status_code=303)


@api.get("/reviews", summary="Case reviews with their deadlines (no personal data)")
def reviews_api(request: Request, _: Reader,
                kind: Annotated[str | None, Query(pattern="^(dardr|owhr|asb)$")] = None) -> dict[str, Any]:
    views = reviews.list_reviews(request.app.state.engine, amber_days=_amber(request), kind=kind)
    return {"today": date.today().isoformat(), "reviews": [v.to_dict() for v in views]}


@api.get("/reviews/asb-figures", summary="Yearly ASB case review figures (2014 Act s104), protected")
def asb_figures_api(request: Request, _: Reader,
                    year: Annotated[str, Query(pattern=r"^\d{4}(-\d{2})?$", description="e.g. 2025-26")]
                    ) -> dict[str, Any]:
    return reviews.asb_figures(request.app.state.engine, year, settings=request.app.state.settings).to_dict()


@api.get("/reviews/{reference}", summary="One case review with its deadlines and recommendations")
def review_api(request: Request, _: Reader, reference: Reference) -> dict[str, Any]:
    return reviews.get(request.app.state.engine, reference, amber_days=_amber(request)).to_dict()


def compliance_summary(engine: Any, amber_days: int) -> dict[str, Any] | None:
    """Counts of green, amber and red duties and the red ones, for the dashboard (None: no register)."""
    from safer_communities.errors import NoDataError

    today = date.today()
    try:
        _, framework = register.read_version(engine)
    except NoDataError:
        return None
    ratings = compliance.rate(framework, today, amber_days=amber_days,
                              cases=reviews.case_clocks(engine, today=today, amber_days=amber_days))
    overdue = sum(bool(v.overdue) for v in reviews.list_reviews(engine, today=today, amber_days=amber_days))
    return {**compliance.summary(ratings), "amber_days": amber_days, "overdue_reviews": overdue,
            "red_duties": [r.duty for r in ratings if r.rating == "red"]}


@api.get("/framework/compliance", summary="Each duty rated green / amber / red, with its due date and rule")
def compliance_api(request: Request, _: Reader) -> dict[str, Any]:
    engine, today, days = request.app.state.engine, date.today(), _amber(request)
    number, framework = register.read_version(engine)
    ratings = compliance.rate(framework, today, amber_days=days,
                              cases=reviews.case_clocks(engine, today=today, amber_days=days))
    return {"version": number, "today": today.isoformat(), "amber_days": days,
            "summary": compliance.summary(ratings), "duties": [r.to_dict() for r in ratings]}
