"""Updating strategy actions: the tracker's form (editors) and ``PATCH /api/v1/strategy/actions/...``.

Both go through ``strategy.updates.update_action`` and write one audit entry with the change and the
officer's progress note, so the tracker and the audit log always agree.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from safer_communities.errors import InputError
from safer_communities.strategy.updates import STATUSES, ActionChange, update_action
from safer_communities.web import audit, deps
from safer_communities.web.accounts import Account
from safer_communities.web.api_responses import error_responses
from safer_communities.web.errors import CsrfError
from safer_communities.web.security import CSRF_HEADER, client_ip

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"], responses=error_responses())
Editor = Annotated[Account, Depends(deps.require("update_action"))]
Slug = Annotated[str, PathParam(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)]


def _apply(request: Request, account: Account, strategy_id: str, action_id: str, status: str,
           due: date | None, note: str) -> ActionChange:
    change = update_action(request.app.state.engine, strategy_id, action_id, status=status, due=due)
    detail = change.describe() + (f"; note: {note.strip()}" if note.strip() else "")
    audit.record(request.app.state.engine, actor=account.name, action="action_updated",
                 obj=f"action {strategy_id}/{action_id}", ip=client_ip(request), detail=detail)
    return change


def _due(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError("The due date is not a date.", found=repr(text[:40]),
                         hint="Give it as YYYY-MM-DD, e.g. 2025-03-31.") from exc


@pages.post("/strategy/actions/{strategy_id}/{action_id}", dependencies=[Depends(deps.csrf)])
def update_from_tracker(request: Request, account: Editor, strategy_id: Slug, action_id: Slug,
                        status: Annotated[str, Form(max_length=20)],
                        due: Annotated[str, Form(max_length=20)] = "",
                        note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """A problem (unknown status, due before start) is shown as the error page with its hint."""
    _apply(request, account, strategy_id, action_id, status, _due(due), note)
    return RedirectResponse(f"/strategy#action-{strategy_id}-{action_id}", status_code=303)


class ActionUpdate(BaseModel):
    """The new status of an action; optionally a new due date and a progress note for the audit log."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(max_length=20, description=f"One of: {', '.join(STATUSES)}.",
                        json_schema_extra={"enum": list(STATUSES)})
    due: date | None = Field(default=None, description="New due date (YYYY-MM-DD), not before the start.")
    note: str = Field(default="", max_length=2000, description="Progress note, kept in the audit log.")


@api.patch("/strategy/actions/{strategy_id}/{action_id}",
           summary="Update a strategy action's status (editor role)")
async def patch_action(request: Request, account: Editor, strategy_id: Slug, action_id: Slug,
                       body: ActionUpdate) -> dict[str, Any]:
    """With a session cookie (not a token), the page's CSRF token must come in the ``X-CSRF-Token``
    header; a partner system with a bearer token needs none."""
    if request.headers.get("authorization", "")[:7].lower() != "bearer " and not \
            request.app.state.signer.csrf_ok(request, request.headers.get(CSRF_HEADER)):
        raise CsrfError("The request did not come from this site.", found="a missing or wrong X-CSRF-Token",
                        hint="Send the page's CSRF token in the X-CSRF-Token header, or use an API token.")
    change = await run_in_threadpool(_apply, request, account, strategy_id, action_id, body.status, body.due,
                                     body.note)
    return change.to_dict()
