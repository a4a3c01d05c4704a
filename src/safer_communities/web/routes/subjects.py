"""Subject pages: one issue (evidence, duties, services and activities, strategy actions) and one area
(every measurable issue's headline there)."""

from __future__ import annotations

from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from safer_communities.errors import NoDataError, NotFoundError, SaferError
from safer_communities.framework import queries as fq
from safer_communities.web import deps, derived
from safer_communities.web import evidence as ev
from safer_communities.web.accounts import Account
from safer_communities.web.page_cache import Built, page

router = APIRouter(include_in_schema=False)
Evidence = Annotated[duckdb.DuckDBPyConnection, Depends(deps.evidence)]
Reader = Annotated[Account, Depends(deps.require("read"))]
# Open in public mode: the area page shows only the published, disclosure-controlled aggregates.
PublicReader = Annotated[Account, Depends(deps.require("read", public=True))]


def _strategy_actions(request: Request, con: duckdb.DuckDBPyConnection, issue: str) -> list[dict[str, Any]]:
    """Actions of strategy objectives that address ``issue``."""
    try:
        strategies = derived.strategy_statuses(request.app.state.engine, con, request.app.state.settings)
    except NoDataError:
        return []
    out = []
    for s in strategies:
        objectives = {o["id"]: o for o in s.objectives if issue in o["issues"]}
        for action in s.actions:
            if action.objective_id in objectives:
                out.append({"strategy": s.name, "objective": objectives[action.objective_id]["title"],
                            "action": action})
    return out


@router.get("/issues/{issue_id}", response_class=HTMLResponse)
async def issue_page(request: Request, con: Evidence, account: Reader,
                     issue_id: Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,60}$")]) -> HTMLResponse:
    return await page(request, account, (), lambda: _issue_page(request, con, issue_id))


def _issue_page(request: Request, con: duckdb.DuckDBPyConnection, issue_id: str) -> Built:
    settings = request.app.state.settings
    _, register = derived.register(request.app.state.engine, settings)
    entry = fq.show(register, "issues", issue_id)
    definition = next((d for d in ev.issue_options() if d["id"] == issue_id), None)
    evidence, problem = None, None
    if definition and definition["measurable"]:
        county = next(a["code"] for a in ev.area_options(con, settings) if a["level"] == "county")
        try:
            evidence = ev.rates_by_area(con, settings, issue_id, county, "latest-12-months")
        except SaferError as exc:
            problem = exc.to_dict()
    return "issue.html", {"entry": entry, "definition": definition, "evidence": evidence, "problem": problem,
                          "actions": _strategy_actions(request, con, issue_id)}, 200


@router.get("/areas/{area_code}", response_class=HTMLResponse)
async def area_page(request: Request, con: Evidence, account: PublicReader,
                    area_code: Annotated[str, PathParam(pattern=r"^[EWSN]\d{8}$")]) -> HTMLResponse:
    return await page(request, account, (), lambda: _area_page(request, con, area_code), app_db=False)


def _area_page(request: Request, con: duckdb.DuckDBPyConnection, area_code: str) -> Built:
    settings = request.app.state.settings
    level, name = ev.area_level(con, settings, area_code)
    rows = []
    for issue in ev.issue_options():
        if not issue["measurable"]:
            continue
        try:
            result = ev.rates_by_area(con, settings, issue["id"], area_code, "latest-12-months")
        except (NoDataError, NotFoundError):
            continue
        rows.append({"issue": issue, "headline": result["headline"], "period": result["meta"]["period_label"],
                     "rate_key": result.get("rate_key", "rate_per_1000"),
                     "per": str(result.get("rate_label", "per 1,000 residents")).replace(" residents", ""),
                     "what": result.get("count_noun", "records")})
    return "area.html", {"area": {"code": area_code, "name": name, "level": level}, "rows": rows}, 200
