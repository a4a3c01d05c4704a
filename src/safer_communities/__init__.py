"""safer-communities: evidence, strategy and compliance for community safety in England."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("safer-communities")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
