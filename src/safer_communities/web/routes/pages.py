"""Reading pages: the dashboard (filters in the query string), framework, strategy, data quality."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from safer_communities.errors import NoDataError, SaferError
from safer_communities.framework import compliance
from safer_communities.framework import queries as fq
from safer_communities.framework.checks_sharing import sharing_by_partner
from safer_communities.reviews.register import case_clocks
from safer_communities.web import deps, derived
from safer_communities.web import evidence as ev
from safer_communities.web.accounts import Account
from safer_communities.web.charts import trend_svg
from safer_communities.web.limits import check_period_length
from safer_communities.web.page_cache import Built, page

router = APIRouter(include_in_schema=False)
Evidence = Annotated[duckdb.DuckDBPyConnection, Depends(deps.evidence)]
PublicReader = Annotated[Account, Depends(deps.require("read", public=True))]
Reader = Annotated[Account, Depends(deps.require("read"))]


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, con: Evidence, account: PublicReader,
                    issue: Annotated[str, Query(max_length=60)] = "violence",
                    area: Annotated[str | None, Query(max_length=20)] = None,
                    period: Annotated[str, Query(max_length=40)] = "latest-12-months") -> HTMLResponse:
    """Issue x area x period. A problem with the filters is shown on the page, beside the filters."""
    return await page(request, account, (issue, area, period),
                      lambda: _dashboard(request, con, account, issue, area, period))


def _dashboard(request: Request, con: duckdb.DuckDBPyConnection, account: Account, issue: str,
               area: str | None, period: str) -> Built:
    settings = request.app.state.settings
    context: dict[str, Any] = {"issues": [i for i in ev.issue_options() if i["measurable"]], "issue": issue,
                               "period": period, "problem": None, "result": None, "trend": None,
                               "chart": None, "tile_url": settings.tile_url}
    try:
        areas = ev.area_options(con, settings)
        context["areas"] = areas
        area = area or next(a["code"] for a in areas if a["level"] == "county")
        context["area"] = area
        check_period_length(period)
        internal = account is not deps.PUBLIC  # signed in: any period, marked internal off the grid
        result = ev.rates_by_area(con, settings, issue, area, period, internal=internal)
        series = ev.trend(con, settings, issue, area, period, internal=internal)
        label = next((i["label"] for i in context["issues"] if i["id"] == issue), issue)
        what = result.get("count_noun", "records")
        context.update(result=result, trend=series, issue_label=label,
                       chart=Markup(trend_svg(series["months"],
                                              title=f"{label}: {what} per month, {result['area']['name']}")))
    except SaferError as exc:
        context.setdefault("areas", [])
        context.setdefault("area", area)
        context["problem"] = exc.to_dict()
    from safer_communities.publish.partner_evidence import partner_evidence  # issue 12

    context["partner_evidence"] = partner_evidence(con, settings, area, [issue]) if area else []
    if account.roles:  # signed in: the compliance summary of the register (never in public mode)
        context["compliance"] = derived.compliance_summary(request.app.state.engine, settings)
    status = 200 if context["problem"] is None else (404 if context["problem"]["error"] in
                                                     ("not_found", "no_data") else 422)
    return "dashboard.html", context, status


@router.get("/framework", response_class=HTMLResponse)
async def framework(request: Request, account: Reader) -> HTMLResponse:
    return await page(request, account, (), lambda: _framework(request))


def _framework(request: Request) -> Built:
    engine = request.app.state.engine
    try:
        number, register = derived.register(engine, request.app.state.settings)
    except NoDataError as exc:
        return "framework.html", {"problem": exc.to_dict()}, 200
    header, rows = fq.services_by_issues(register)
    today, days = date.today(), request.app.state.settings.compliance_amber_days
    cases = case_clocks(engine, today=today, amber_days=days)
    status_header, status_rows = fq.evidence_status(register, today, amber_days=days, cases=cases)
    summary = compliance.summary(compliance.rate(register, today, amber_days=days, cases=cases))
    sharing = sharing_by_partner(register, engine, request.app.state.settings.db, today)
    return "framework.html", {
        "problem": None, "framework_version": number, "register": register, "matrix_header": header,
        "matrix_rows": rows, "status_header": status_header, "status_rows": status_rows,
        "compliance": summary, "amber_days": days, "today": today, "sharing": sharing}, 200


@router.get("/strategy", response_class=HTMLResponse)
async def strategy(request: Request, con: Evidence, account: Reader) -> HTMLResponse:
    return await page(request, account, (), lambda: _strategy(request, con, account))


def _strategy(request: Request, con: duckdb.DuckDBPyConnection, account: Account) -> Built:
    engine, settings = request.app.state.engine, request.app.state.settings
    try:
        strategies = derived.strategy_statuses(engine, con, settings)
    except NoDataError as exc:
        return "strategy.html", {"problem": exc.to_dict(), "strategies": []}, 200
    indicators = derived.strategy_indicators(engine, con, settings)
    from safer_communities.publish.partner_evidence import partner_evidence  # issue 12
    from safer_communities.strategy.updates import STATUSES

    partners = {s.id: partner_evidence(con, settings, s.area_code,
                                       sorted({i for o in s.objectives for i in o["issues"]}))
                for s in strategies}
    return "strategy.html", {"problem": None, "strategies": strategies, "indicators": indicators,
                             "partner_evidence": partners, "statuses": STATUSES,
                             "can_update": account.can("update_action")}, 200


@router.get("/quality", response_class=HTMLResponse)
async def quality(request: Request, con: Evidence, account: Reader) -> HTMLResponse:
    def build() -> Built:
        report = derived.quality(con, request.app.state.settings)
        return "quality.html", {"report": report, "data": report.to_dict()}, 200

    return await page(request, account, (), build, app_db=False)
