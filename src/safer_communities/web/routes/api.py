"""``/api/v1``: areas, issues, evidence (rates, trends, GeoJSON maps), framework, strategy status.

Read-only (the one write, updating a strategy action, is in ``routes.tracker``). Evidence endpoints are
open in public mode; the framework and strategy need a signed-in user or an API token. Every number has
passed ``publish.disclosure``; road safety's numbers come from ``web.road_safety``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from safer_communities.config import Settings
from safer_communities.framework import queries as fq
from safer_communities.framework.register import list_versions, read_version
from safer_communities.web import cache, deps, derived
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
GZIP_MIN_BYTES = 1000
KIND_PATTERN = "^(duties|issues|services|partners|activities|evidence)$"


def _encoded(answer: dict[str, Any]) -> tuple[bytes, bytes]:
    """The JSON and its gzip (level 6), made once per version: a map is 0.1-1 MB, too big to compress
    per request."""
    body = json.dumps(answer, default=str, separators=(",", ":")).encode()
    return body, gzip.compress(body, compresslevel=6, mtime=0)


def _send(request: Request | None, encoded: tuple[bytes, bytes]) -> Response:
    """The stored gzip to a client that accepts it (without the request: the JSON)."""
    body, packed = encoded
    if request is not None and len(body) >= GZIP_MIN_BYTES and \
            "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(body, media_type="application/json", headers={"Vary": "Accept-Encoding"})


async def _json(settings: Settings, key: tuple, compute: Callable[[], dict[str, Any]], *,
                request: Request | None = None) -> Response:
    """The answer serialised (and compressed) once per store version. A cached answer is sent from the
    event loop; a new one is computed in a worker thread."""
    full = ("json", *key)
    encoded = ev.peek(settings, full)
    if encoded is None:
        encoded = await run_in_threadpool(ev.cached, settings, full, lambda: _encoded(compute()))
    return _send(request, encoded)


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
async def evidence_rates(request: Request, con: Evidence, settings: SettingsDep, account: PublicReader,
                   issue: Issue = "violence", area: Area = None,
                   period: Period = "latest-12-months") -> Response:
    """The area's headline and each unit inside it (districts of the county, LSOAs of a district).
    Public answers are for periods on the publication grid only; signed in, any period (marked internal)."""
    code, internal = await _area(con, settings, area), signed_in(account)
    return await _json(settings, ("rates", issue, code, period, internal),
                 lambda: ev.rates_by_area(con, settings, issue, code, period, internal=internal),
                 request=request)


@router.get("/evidence/trend", summary="Monthly counts (gaps are null, never zero)")
async def evidence_trend(request: Request, con: Evidence, settings: SettingsDep, account: PublicReader,
                   issue: Issue = "violence", area: Area = None,
                   period: Period = "latest-12-months") -> Response:
    code, internal = await _area(con, settings, area), signed_in(account)
    return await _json(settings, ("trend", issue, code, period, internal),
                 lambda: ev.trend(con, settings, issue, code, period, internal=internal),
                 request=request)


@router.get("/evidence/map", summary="GeoJSON (WGS84) of rates by unit, for a choropleth map")
async def evidence_map(request: Request, con: Evidence, settings: SettingsDep, account: PublicReader,
                       issue: Issue = "violence", area: Area = None,
                       period: Period = "latest-12-months") -> Response:
    code, internal = await _area(con, settings, area), signed_in(account)
    return await _json(settings, ("map", issue, code, period, internal),
                 lambda: ev.rates_geojson(con, settings, issue, code, period, internal=internal),
                 request=request)


@router.get("/evidence/hotspots", summary="GeoJSON (WGS84) of LSOA hotspots (Getis-Ord Gi*, FDR)")
async def evidence_hotspots(request: Request, con: Evidence, settings: SettingsDep, account: PublicReader,
                            issue: Issue = "violence", area: Area = None,
                            period: Period = "latest-12-months") -> Response:
    from safer_communities.web.hotspots import hotspots_geojson

    code, internal = await _area(con, settings, area), signed_in(account)
    return await _json(settings, ("hotspots", issue, code, period, internal),
                 lambda: hotspots_geojson(con, settings, issue, code, period, internal=internal),
                 request=request)


@router.get("/framework", summary="The latest published framework register")
def framework(request: Request, engine: EngineDep, _: Reader) -> dict[str, Any]:
    from safer_communities.reviews.register import case_clocks

    number, register = read_version(engine)
    header, rows = fq.services_by_issues(register)
    today, days = date.today(), request.app.state.settings.compliance_amber_days
    status_header, status_rows = fq.evidence_status(register, today, amber_days=days,
                                                    cases=case_clocks(engine, today=today, amber_days=days))
    return {"version": number, "register": register.model_dump(mode="json"),
            "services_by_issues": [dict(zip(header, r, strict=True)) for r in rows],
            "duty_status": [dict(zip(status_header, r, strict=True)) for r in status_rows]}


@router.get("/framework/versions", summary="Published versions of the register")
def framework_versions(engine: EngineDep, _: Reader) -> dict[str, Any]:
    return {"versions": [v.to_dict() for v in list_versions(engine)]}


@router.get("/framework/{kind}/{entry_id}", summary="One entry of the register and what links to it")
def framework_entry(engine: EngineDep, _: Reader,
                    kind: Annotated[str, PathParam(pattern=KIND_PATTERN)],
                    entry_id: Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,100}$")],
                    settings: SettingsDep) -> dict[str, Any]:
    """A partner also shows its information-sharing agreements and the feeds held under them (counts)."""
    _, register = read_version(engine)
    out = fq.show(register, kind, entry_id)
    if out["kind"] == "partners":
        from safer_communities.framework.checks_sharing import partner_sharing

        out["information_sharing"] = partner_sharing(register, engine, settings.db, entry_id, date.today())
    return out


@router.get("/strategy/status", summary="Each strategy's indicators (RAG) and actions (overdue, unowned)",
            response_model=None)
async def strategy_status(request: Request, engine: EngineDep, con: Evidence, settings: SettingsDep,
                          _: Reader) -> Response:
    """Indicator values on fewer records than the disclosure threshold are null, with the reason."""
    return _send(request, await cache.answer(("json", "strategy-status", *cache.versions(settings, engine)),
                                             lambda: _encoded(derived.strategy_status_answer(engine, con,
                                                                                             settings))))


@router.get("/me", summary="Who the request is authenticated as")
async def me(account: Reader) -> dict[str, Any]:
    return {"name": account.name, "roles": sorted(account.roles)}

