"""Names beside codes on the pages: a GSS code of the study area is shown with its name
("Burnley (E07000117)"), read once per store version from the store's own area lookup."""

from __future__ import annotations

from collections.abc import Callable

from safer_communities.config import Settings
from safer_communities.errors import SaferError


def area_names(settings: Settings) -> dict[str, str]:
    """Code -> name of the county and its districts (empty when no store is loaded yet)."""
    from safer_communities.store.evidence import connect
    from safer_communities.web import evidence as ev

    if not settings.db.exists():
        return {}

    def compute() -> dict[str, str]:
        con = connect(settings.db, read_only=True)
        try:
            return {a["code"]: a["name"] for a in ev.area_options(con, settings)}
        except SaferError:  # no geography loaded: codes are shown as they are
            return {}
        finally:
            con.close()

    return ev.cached(settings, ("area_names",), compute)


def area_label(settings: Settings) -> Callable[[object], str]:
    """A Jinja filter: ``"E07000117" -> "Burnley (E07000117)"``; an unknown code is shown as it is."""
    def label(code: object) -> str:
        text = "" if code is None else str(code)
        name = area_names(settings).get(text)
        return f"{name} ({text})" if name else text

    return label


def lsoa_place(code: object) -> str:
    """A Jinja filter: the ward an LSOA lies in ("Brookfield ward"), or "" where the lookup has none."""
    from safer_communities.publish.place_names import lsoa_place as place

    return (place(str(code)) or "") if code is not None else ""
