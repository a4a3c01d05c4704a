"""``/api/v1``: areas, issues, evidence (rates, trends, GeoJSON maps), framework, strategy status.

Read-only (the one write, updating a strategy action, is in ``routes.tracker``). Evidence endpoints are
open in public mode; the framework and strategy need a signed-in user or an API token. Every number has
passed ``publish.disclosure``; road safety's numbers come from ``web.road_safety``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Query, Response
from fastapi import Path as PathParam
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from safer_communities.config import Settings
from safer_communities.framework import queries as fq
from safer_communities.framework.register import list_versions, read_version
from safer_communities.web import deps
from safer_communities.web import evidence as ev
from safer_communities.web.accounts import Account
from safer_communities.web.api_responses import error_responses
from safer_communities.web.limits import MAX_PERIOD_MONTHS, CappedPeriod

router = APIRouter(prefix="/api/v1", tags=["api"], responses=error_responses())

Issue = Annotated[str, Query(pattern=r"^[a-z0-9-]{1,60}$", description="Issue id, e.g. violence.")]
Area = Annotated[str | None, Query(pattern=r"^[EWSN]\d{8}$",
                                   description="County or district GSS code (default: the county).")]
Period = Annotated[CappedPeriod, Query(min_length=1, max_length=40,
                                       description="2021, 2021-04..2022-03 or latest-12-months; at most "
                                                   f"{MAX_PERIOD_MONTHS} months.")]
Evidence = Annotated[duckdb.DuckDBPyConnection, Depends(deps.evidence)]
SettingsDep = Annotated[Settings, Depends(deps.settings)]
EngineDep = Annotated[Engine, Depends(deps.engine)]
PublicReader = Annotated[Account, Depends(deps.require("read", public=True))]
Reader = Annotated[Account, Depends(deps.require("read"))]
KIND_PATTERN = "^(duties|issues|services|partners|activities|evidence)$"


async def _json(settings: Settings, key: tuple, compute: Callable[[], dict[str, Any]]) -> Response:
    """The answer serialised once per store version (maps are large; encoding them per request is slow).
    A cached answer is sent from the event loop; a new one is computed in a worker thread."""
    full = ("json", *key)
    body = ev.peek(settings, full)
    if body is None:
        body = await run_in_threadpool(ev.cached, settings, full, lambda: json.dumps(
            compute(), default=str, separators=(",", ":")).encode())
    return Response(body, media_type="application/json")


def signed_in(account: Account) -> bool:
    """A signed-in user or API token (not the anonymous public reader) may ask off the grid."""
    return account is not deps.PUBLIC


async def _area(con: duckdb.DuckDBPyConnection, settings: Settings, area: str | None) -> str:
    if area:
        return area
    areas = ev.peek(settings, ("areas",)) or await run_in_threadpool(ev.area_options, con, settings)
    return next(a["code"] for a in areas if a["level"] == "county")


@router.get("/areas", summary="The county and districts of the study area")
def areas(con: Evidence, settings: SettingsDep, _: PublicReader) -> dict[str, Any]:
    return {"areas": ev.area_options(con, settings)}


@router.get("/issues", summary="Priority issues and how each is measured (definitions)")
def issues(_: PublicReader) -> dict[str, Any]:
    return {"definitions_version": ev.definitions().version, "issues": ev.issue_options()}


@router.get("/evidence/rates", summary="Counts and rates per 1,000 residents, with 95% intervals")
async def evidence_rates(con: Evidence, settings: SettingsDep, account: PublicReader,
                   issue: Issue = "violence", area: Area = None,
                   period: Period = "latest-12-months") -> Response:
    """The area's headline and each unit inside it (districts of the county, LSOAs of a district).
    Public answers are for periods on the publication grid only; signed in, any period (marked internal)."""
    code, internal = await _area(con, settings, area), signed_in(account)
    return await _json(settings, ("rates", issue, code, period, internal),
                 lambda: ev.rates_by_area(con, settings, issue, code, period, internal=internal))


@router.get("/evidence/trend", summary="Monthly counts (gaps are null, never zero)")
async def evidence_trend(con: Evidence, settings: SettingsDep, account: PublicReader,
                   issue: Issue = "violence", area: Area = None,
                   period: Period = "latest-12-months") -> Response:
    code, internal = await _area(con, settings, area), signed_in(account)
    return await _json(settings, ("trend", issue, code, period, internal),
                 lambda: ev.trend(con, settings, issue, code, period, internal=internal))


@router.get("/evidence/map", summary="GeoJSON (WGS84) of rates by unit, for a choropleth map")
async def evidence_map(con: Evidence, settings: SettingsDep, account: PublicReader, issue: Issue = "violence",
                 area: Area = None, period: Period = "latest-12-months") -> Response:
    code, internal = await _area(con, settings, area), signed_in(account)
    return await _json(settings, ("map", issue, code, period, internal),
                 lambda: ev.rates_geojson(con, settings, issue, code, period, internal=internal))


@router.get("/evidence/hotspots", summary="GeoJSON (WGS84) of LSOA hotspots (Getis-Ord Gi*, FDR)")
async def evidence_hotspots(con: Evidence, settings: SettingsDep, account: PublicReader,
                            issue: Issue = "violence", area: Area = None,
                            period: Period = "latest-12-months") -> Response:
    from safer_communities.web.hotspots import hotspots_geojson

    code, internal = await _area(con, settings, area), signed_in(account)
    return await _json(settings, ("hotspots", issue, code, period, internal),
                 lambda: hotspots_geojson(con, settings, issue, code, period, internal=internal))


@router.get("/framework", summary="The latest published framework register")
def framework(engine: EngineDep, _: Reader) -> dict[str, Any]:
    number, register = read_version(engine)
    header, rows = fq.services_by_issues(register)
    status_header, status_rows = fq.evidence_status(register, date.today())
    return {"version": number, "register": register.model_dump(mode="json"),
            "services_by_issues": [dict(zip(header, r, strict=True)) for r in rows],
            "duty_status": [dict(zip(status_header, r, strict=True)) for r in status_rows]}


@router.get("/framework/versions", summary="Published versions of the register")
def framework_versions(engine: EngineDep, _: Reader) -> dict[str, Any]:
    return {"versions": [v.to_dict() for v in list_versions(engine)]}


@router.get("/framework/{kind}/{entry_id}", summary="One entry of the register and what links to it")
def framework_entry(engine: EngineDep, _: Reader,
                    kind: Annotated[str, PathParam(pattern=KIND_PATTERN)],
                    entry_id: Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,100}$")]) -> dict[str, Any]:
    _, register = read_version(engine)
    return fq.show(register, kind, entry_id)


@router.get("/strategy/status", summary="Each strategy's indicators (RAG) and actions (overdue, unowned)")
def strategy_status(engine: EngineDep, con: Evidence, settings: SettingsDep, _: Reader) -> dict[str, Any]:
    """Indicator values on fewer records than the disclosure threshold are null, with the reason."""
    from safer_communities.strategy.status import status
    from safer_communities.web.strategy_view import protected_indicators

    out = []
    for item in status(engine, con, today=date.today()):
        body = item.to_dict()
        body["indicators"] = protected_indicators(item.indicators, settings)
        body["actions"] = [a.to_dict() for a in item.actions]
        out.append(body)
    from safer_communities.publish.grid import internal_meta

    # Signed in only: the tracker's values are the analyst's view, not the grid (the progress report is).
    return {"strategies": out, **internal_meta()}


@router.get("/me", summary="Who the request is authenticated as")
def me(account: Reader) -> dict[str, Any]:
    return {"name": account.name, "roles": sorted(account.roles)}

