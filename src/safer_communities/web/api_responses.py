"""The error statuses of ``/api/v1`` as the OpenAPI document states them, with the one error body.

Every operation can answer 401 (no or a bad session or token), 403 (roles, CSRF), 404 (unknown
identifier, no data loaded), 413 (body over ``web.limits``), 422 (a value that cannot be used), 500
and 503; each with ``{"error", "what", "found", "hint"}``. The schemathesis test checks that no
operation answers a status not listed here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

DESCRIPTIONS = {
    401: "Not signed in: no session or API token, or one that is not valid (WWW-Authenticate: Bearer).",
    403: "Signed in, but the roles do not allow this; or a session's write without its CSRF token.",
    404: "An unknown issue, area, entry or path; or no data in the store to answer (never a 200 of zeros).",
    413: "The request body is larger than the limit (64 KB of JSON).",
    422: "A value that cannot be used (a period that cannot be read or is longer than 120 months, a "
         "malformed code, an unknown status).",
    500: "Something unexpected; the details are only in the server log.",
    503: "The evidence store or the application database cannot be opened.",
}


class ErrorBody(BaseModel):
    """The one error shape of the API."""

    error: str = Field(description="A stable code: not_authenticated, permission_denied, csrf_failed, "
                                   "not_found, no_data, payload_too_large, input_error, store_error, "
                                   "store_locked, internal_error.")
    what: str = Field(description="What is wrong, in a sentence.")
    found: str | None = Field(description="What was found instead.")
    hint: str | None = Field(description="How to put it right.")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router or an operation: the listed statuses (all by default)."""
    return {status: {"model": ErrorBody, "description": DESCRIPTIONS[status]}
            for status in (statuses or tuple(DESCRIPTIONS))}
