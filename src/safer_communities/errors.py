"""Errors raised on purpose: each says what is wrong, what was found and how to fix it."""

from __future__ import annotations


class SaferError(Exception):
    """Base class for every error the user should read (CLI exit code 2, one JSON shape in the API)."""

    code = "error"

    def __init__(self, what: str, *, found: str | None = None, hint: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.found = found
        self.hint = hint

    def __str__(self) -> str:
        parts = [self.what]
        if self.found:
            parts.append(f"Found: {self.found}")
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        return "\n".join(parts)

    def to_dict(self) -> dict[str, str | None]:
        return {"error": self.code, "what": self.what, "found": self.found, "hint": self.hint}


class InputError(SaferError):
    """A file or value supplied by the user cannot be used as it is."""

    code = "input_error"


class StoreError(SaferError):
    """The evidence store or application database cannot be opened or is inconsistent."""

    code = "store_error"


class StoreLockedError(StoreError):
    """Another process holds the store for writing."""

    code = "store_locked"


class NoDataError(SaferError):
    """The question asked has no data loaded to answer it (never answered with a zero)."""

    code = "no_data"


class NotFoundError(SaferError):
    """An identifier (area, issue, duty, user...) does not exist."""

    code = "not_found"


class PermissionDeniedError(SaferError):
    """The user does not hold the role the action needs."""

    code = "permission_denied"


class ConflictError(InputError):
    """Someone else changed the record between reading and writing it: nothing was changed."""

    code = "conflict"
