"""Limits that keep one request from costing the server more than a page is worth.

* ``MAX_PERIOD_MONTHS``: the longest period any endpoint or page answers (ten years: the longest
  series a national store holds); longer periods are a 422 before any query runs.
* ``MAX_JSON_BYTES``, ``MAX_FORM_BYTES``, ``MAX_OTHER_BYTES``: request bodies larger than these are
  refused with 413 in the one error shape, from ``Content-Length`` before anything is read, or as soon
  as a body without one grows past the limit (so a 100 MB PATCH never reaches memory).

FastAPI's own ``max_body_size`` is one limit per app or route, and answers a too-long
``Content-Length`` with a plain-text "Content Too Large", not the one error shape; hence this
middleware, with a limit per kind of body.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safer_communities.analysis.periods import parse_period
from safer_communities.errors import InputError, SaferError

MAX_PERIOD_MONTHS = 120
MAX_JSON_BYTES = 64 * 1024
MAX_FORM_BYTES = 256 * 1024  # an amendment's YAML (at most 20,000 characters) with its reason and note
MAX_OTHER_BYTES = 64 * 1024
_LATEST = re.compile(r"^\s*latest-(\d+)-months?\s*$", re.IGNORECASE)


class PayloadTooLargeError(SaferError):
    """A request body over the limit for its kind (413)."""

    code = "payload_too_large"


def check_period_length(text: str) -> str:
    """``text`` unchanged when it spans at most ``MAX_PERIOD_MONTHS``; a period that cannot be read is
    left for the endpoint's own parser, which says what is wrong with it."""
    if not isinstance(text, str):
        return text
    latest = _LATEST.match(text)
    if latest:
        months = int(latest.group(1))
    else:
        try:
            months = parse_period(text, latest_month=date.today()).n_months
        except InputError:
            return text
    if months > MAX_PERIOD_MONTHS:
        raise InputError(f"That period is too long: the longest this site answers is {MAX_PERIOD_MONTHS} "
                         "months (ten years).", found=f"{text!r}: {months} months",
                         hint="Ask for ten years or fewer, e.g. 2013-01..2022-12, or use the command line "
                              "(safer evidence ...) for longer series.")
    return text


CappedPeriod = Annotated[str, AfterValidator(check_period_length)]


def body_limit(content_type: str) -> int:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return MAX_JSON_BYTES
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return MAX_FORM_BYTES
    return MAX_OTHER_BYTES


class BodyLimit:
    """Pure ASGI middleware: refuse bodies over ``body_limit`` with 413 (the one error shape)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
                   if k.lower() in (b"content-length", b"content-type", b"transfer-encoding")}
        length = headers.get("content-length")
        if length is None and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body (every GET): nothing to count
            return
        limit = body_limit(headers.get("content-type", ""))
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            await self._refuse(scope, receive, send, limit, f"Content-Length: {length[:30]}")
            return
        # Read the body (at most ``limit`` bytes) before the application sees it, then replay it.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, limit, f"more than {limit:,} bytes sent")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int, found: str) -> None:
        from safer_communities.web.errors import _respond

        exc = PayloadTooLargeError(f"The request is too large: at most {limit:,} bytes are accepted here.",
                                   found=found, hint="Send less: the API's bodies are small JSON objects, "
                                                     "the site's forms a few pages of text.")
        response = _respond(Request(scope), 413, exc.to_dict())
        response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)
