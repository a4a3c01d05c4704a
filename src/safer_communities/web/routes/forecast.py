"""``/api/v1/evidence/forecast``: the dashboard's forecast layer (its own router, added to the app)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from safer_communities.web.api_responses import error_responses
from safer_communities.web.routes.api import Area, Evidence, Issue, PublicReader, SettingsDep, _area, _json

router = APIRouter(prefix="/api/v1", tags=["api"], responses=error_responses())


@router.get("/evidence/forecast", summary="GeoJSON (WGS84) of next month's forecast cells, with their skill")
async def evidence_forecast(
    con: Evidence,
    settings: SettingsDep,
    _: PublicReader,
    issue: Issue = "violence",
    area: Area = None,
    share: float = Query(0.01, ge=0.01, le=0.05, description="Share of the area: 0.01, 0.02 or 0.05."),
) -> Response:
    from safer_communities.web.forecast import forecast_geojson

    if share not in (0.01, 0.02, 0.05):
        from safer_communities.errors import InputError

        raise InputError("share must be 0.01, 0.02 or 0.05.", found=repr(share), hint="Use share=0.01.")
    code = await _area(con, settings, area)
    return await _json(
        settings,
        ("forecast", issue, code, share),
        lambda: forecast_geojson(con, settings, issue, code, share),
    )
