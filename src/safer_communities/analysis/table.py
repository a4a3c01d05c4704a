"""A result as plain columns, for the commands that must answer at once.

Importing pandas costs about 0.4 CPU-seconds (with pyarrow), four times the rest of
`safer evidence rates`. The light analyses (rates, monthly series) build a ``Table``: named columns of
Python values, the same ``attrs`` a DataFrame result carries, and ``to_frame()`` for the callers that
want a DataFrame (the report, the web, the other analyses), with the same dtypes the pandas-built
result had, so there is one implementation of each analysis and two ways to read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# How each kind of column becomes a pandas column in ``to_frame``.
KINDS = ("str", "int64", "Int64", "float64", "datetime")  # datetime: dates in, datetime64[us] out
NUMERIC_KINDS = frozenset({"int64", "Int64", "float64"})


@dataclass
class Table:
    """Named columns of equal length, each with a kind from ``KINDS``, and the result's metadata."""

    columns: dict[str, list[Any]]
    kinds: dict[str, str]
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lengths = {len(values) for values in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        unknown = {k for k in self.kinds.values() if k not in KINDS} | (set(self.columns) ^ set(self.kinds))
        if unknown:
            raise ValueError(f"column kinds do not match the columns: {sorted(unknown)}")

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def numeric(self, name: str) -> bool:
        return self.kinds[name] in NUMERIC_KINDS

    def select(self, names: list[str]) -> Table:
        """These columns, in this order (same attrs)."""
        return Table({n: self.columns[n] for n in names}, {n: self.kinds[n] for n in names}, dict(self.attrs))

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready rows: NaN -> None, dates -> ISO text (as ``results.to_records`` gives a DataFrame)."""
        names = self.names
        return [{n: _clean(v) for n, v in zip(names, row, strict=True)}
                for row in zip(*self.columns.values(), strict=True)]

    def to_frame(self) -> pd.DataFrame:
        """The same result as a DataFrame, with the dtypes the analysis gave when it was built in pandas."""
        import numpy as np
        import pandas as pd

        data: dict[str, Any] = {}
        for name, values in self.columns.items():
            kind = self.kinds[name]
            if kind == "int64":
                data[name] = np.asarray(values, dtype="int64")
            elif kind == "Int64":
                data[name] = pd.array(values, dtype="Int64")
            elif kind == "float64":
                data[name] = np.asarray([math.nan if v is None else v for v in values], dtype="float64")
            elif kind == "datetime":
                data[name] = pd.to_datetime(values).astype("datetime64[us]")
            else:
                data[name] = pd.array(values, dtype="str")
        frame = pd.DataFrame(data, columns=self.names)
        frame.attrs.update(self.attrs)
        return frame


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):  # a numpy scalar
        return _clean(value.item())
    return value
