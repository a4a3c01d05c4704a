"""safer-communities: evidence, strategy and compliance for community safety in England."""

from __future__ import annotations

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)


def __getattr__(name: str) -> str:
    """``__version__`` is looked up when first asked for: importlib.metadata scans the installed
    distributions, which every ``safer`` command would otherwise pay for at start-up."""
    if name != "__version__":
        raise AttributeError(f"module 'safer_communities' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("safer-communities")
    except PackageNotFoundError:  # running from a source tree without installing
        found = "0.0.0+source"
    globals()["__version__"] = found
    return found
