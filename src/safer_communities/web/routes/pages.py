"""Reading pages: the dashboard (filters in the query string), framework, strategy, data quality."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from safer_communities.analysis.quality import quality_report
from safer_communities.errors import NoDataError, SaferError
from safer_communities.framework import compliance
from safer_communities.framework import queries as fq
from safer_communities.framework.checks_sharing import sharing_by_partner
from safer_communities.framework.register import read_version
from safer_communities.reviews.register import case_clocks
from safer_communities.web import deps
from safer_communities.web import evidence as ev
from safer_communities.web.accounts import Account
from safer_communities.web.charts import trend_svg
from safer_communities.web.limits import check_period_length
from safer_communities.web.routes.common import render
from safer_communities.web.routes.reviews import compliance_summary
from safer_communities.web.strategy_view import protected_indicators

router = APIRouter(include_in_schema=False)
Evidence = Annotated[duckdb.DuckDBPyConnection, Depends(deps.evidence)]
PublicReader = Annotated[Account, Depends(deps.require("read", public=True))]
Reader = Annotated[Account, Depends(deps.require("read"))]


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, con: Evidence, account: PublicReader,
              issue: Annotated[str, Query(max_length=60)] = "violence",
              area: Annotated[str | None, Query(max_length=20)] = None,
              period: Annotated[str, Query(max_length=40)] = "latest-12-months") -> HTMLResponse:
    """Issue x area x period. A problem with the filters is shown on the page, beside the filters."""
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
        context["compliance"] = compliance_summary(request.app.state.engine,
                                                   request.app.state.settings.compliance_amber_days)
    status = 200 if context["problem"] is None else (404 if context["problem"]["error"] in
                                                     ("not_found", "no_data") else 422)
    return render(request, "dashboard.html", context, account=account, status_code=status)


@router.get("/framework", response_class=HTMLResponse)
def framework(request: Request, account: Reader) -> HTMLResponse:
    engine = request.app.state.engine
    try:
        number, register = read_version(engine)
    except NoDataError as exc:
        return render(request, "framework.html", {"problem": exc.to_dict()}, account=account)
    header, rows = fq.services_by_issues(register)
    today, days = date.today(), request.app.state.settings.compliance_amber_days
    cases = case_clocks(engine, today=today, amber_days=days)
    status_header, status_rows = fq.evidence_status(register, today, amber_days=days, cases=cases)
    summary = compliance.summary(compliance.rate(register, today, amber_days=days, cases=cases))
    sharing = sharing_by_partner(register, engine, request.app.state.settings.db, today)
    return render(request, "framework.html", {
        "problem": None, "framework_version": number, "register": register, "matrix_header": header,
        "matrix_rows": rows, "status_header": status_header, "status_rows": status_rows,
        "compliance": summary, "amber_days": days, "today": today, "sharing": sharing}, account=account)


@router.get("/strategy", response_class=HTMLResponse)
def strategy(request: Request, con: Evidence, account: Reader) -> HTMLResponse:
    from safer_communities.strategy.status import status

    try:
        strategies = status(request.app.state.engine, con, today=date.today())
    except NoDataError as exc:
        return render(request, "strategy.html", {"problem": exc.to_dict(), "strategies": []}, account=account)
    settings = request.app.state.settings
    indicators = {s.id: protected_indicators(s.indicators, settings) for s in strategies}
    from safer_communities.publish.partner_evidence import partner_evidence  # issue 12
    from safer_communities.strategy.updates import STATUSES

    partners = {s.id: partner_evidence(con, settings, s.area_code,
                                       sorted({i for o in s.objectives for i in o["issues"]}))
                for s in strategies}
    return render(request, "strategy.html", {"problem": None, "strategies": strategies,
                                             "partner_evidence": partners,
                                             "indicators": indicators, "statuses": STATUSES,
                                             "can_update": account.can("update_action")}, account=account)


@router.get("/quality", response_class=HTMLResponse)
def quality(request: Request, con: Evidence, account: Reader) -> HTMLResponse:
    report = quality_report(con)
    return render(request, "quality.html", {"report": report, "data": report.to_dict()}, account=account)
