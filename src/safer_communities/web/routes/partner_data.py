"""Record-level partner data for analysts only: ``/partner-data`` (per feed its agreement, schema version,
rows, dates, rejects and retention), ``/partner-data/{schema}`` (counts by month or district, and a paged
view of the pseudonymised records), and the same through ``/api/v1/partner-data``.

Only the analyst role may read them; other roles get 403, no sign-in 401 (pages: the sign-in page), and a
public deployment answers 404 to everyone, since record-level data is never served publicly. Every view is
a read of record-level data and is written to the audit log by ``partner_access`` (failed reads too).
"""

from __future__ import annotations

from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from safer_communities import partner_access
from safer_communities.errors import NotFoundError
from safer_communities.web import deps
from safer_communities.web.accounts import Account
from safer_communities.web.api_responses import error_responses
from safer_communities.web.routes.common import render
from safer_communities.web.security import client_ip

PERMISSION = "read_partner_records"
SCHEMA = PathParam(pattern=r"^(istv|force-crimes|council-asb)$",
                   description="istv, force-crimes or council-asb.")


async def partner_reader(request: Request) -> Account:
    """The analyst reading; 404 in public mode before anything else (no hint that the data exists)."""
    if request.app.state.settings.public_mode:
        raise NotFoundError("There is no such page.", found=request.url.path,
                            hint="Record-level partner data is never served by a public deployment.")
    return await deps.require(PERMISSION)(request)


Analyst = Annotated[Account, Depends(partner_reader)]
Evidence = Annotated[duckdb.DuckDBPyConnection, Depends(deps.evidence)]
Schema = Annotated[str, SCHEMA]
By = Annotated[str, Query(pattern="^(month|area)$", description="month or area (district).")]
Page = Annotated[int, Query(ge=1, le=100_000, description="Page of records, from 1.")]
PageSize = Annotated[int, Query(ge=1, le=200, description="Records a page (at most 200).")]

pages = APIRouter(prefix="/partner-data", include_in_schema=False)
api = APIRouter(prefix="/api/v1/partner-data", tags=["partner data (analysts)"], responses=error_responses())


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: (None if v != v else v) for k, v in row.items()} for row in frame.to_dict("records")]


@pages.get("", response_class=HTMLResponse)
async def overview_page(request: Request, account: Analyst, con: Evidence) -> HTMLResponse:
    engine = request.app.state.engine
    result = await run_in_threadpool(partner_access.overview, engine, con, actor=account.name,
                                     ip=client_ip(request))
    return render(request, "partner_data.html", {"feeds": _records(result.frame)}, account=account)


@pages.get("/{schema}", response_class=HTMLResponse)
async def feed_page(request: Request, account: Analyst, con: Evidence, schema: Schema,
                    view: Annotated[str, Query(pattern="^(month|area|records)$")] = "month",
                    page: Page = 1, page_size: PageSize = 50) -> HTMLResponse:
    engine, ip = request.app.state.engine, client_ip(request)
    if view == "records":
        result = await run_in_threadpool(partner_access.records, engine, con, schema, page=page,
                                         page_size=page_size, actor=account.name, ip=ip)
    else:
        result = await run_in_threadpool(partner_access.aggregate, engine, con, schema, by=view,
                                         actor=account.name, ip=ip)
    context = {"schema": schema, "view": view, "result": result, "rows": _records(result.frame),
               "columns": list(result.frame.columns), "page_size": page_size}
    return render(request, "partner_feed.html", context, account=account)


@api.get("/feeds", summary="Record-level feeds held: agreement, schema version, rows, dates, rejects, "
                           "retention (analysts; audited)")
async def api_feeds(request: Request, account: Analyst, con: Evidence) -> dict[str, Any]:
    result = await run_in_threadpool(partner_access.overview, request.app.state.engine, con,
                                     actor=account.name, ip=client_ip(request))
    return {"records": _records(result.frame), "meta": {"agreements": result.agreements,
                                                        "records": result.records}}


@api.get("/{schema}/counts", summary="One feed's records counted by month or district (analysts; audited)")
async def api_counts(request: Request, account: Analyst, con: Evidence, schema: Schema,
                     by: By = "month") -> dict[str, Any]:
    result = await run_in_threadpool(partner_access.aggregate, request.app.state.engine, con, schema, by=by,
                                     actor=account.name, ip=client_ip(request))
    return {"records": _records(result.frame),
            "meta": {"schema": schema, "schema_version": result.version, "agreements": result.agreements,
                     "records": result.records, "by": by, "synthetic": result.synthetic}}


@api.get("/{schema}/records", summary="One page of a feed's pseudonymised records (analysts; audited)")
async def api_records(request: Request, account: Analyst, con: Evidence, schema: Schema, page: Page = 1,
                      page_size: PageSize = 50) -> dict[str, Any]:
    result = await run_in_threadpool(partner_access.records, request.app.state.engine, con, schema,
                                     page=page, page_size=page_size, actor=account.name,
                                     ip=client_ip(request))
    return {"records": _records(result.frame),
            "meta": {"schema": schema, "schema_version": result.version, "agreements": result.agreements,
                     "page": result.page, "pages": result.pages, "page_size": page_size,
                     "total": result.total, "synthetic": result.synthetic,
                     "note": "Pseudonymised; for analysts only; never publish."}}
