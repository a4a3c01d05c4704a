"""The rule that flags months with an unusual share of records without a location, without numpy.

``safer quality`` applies it to every crime type's monthly series; importing numpy for that would cost
more than the arithmetic (about a tenth of a second of the command's start). ``placement`` keeps the
array version for the analyses; a property test holds the two equal, flag for flag.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# A month is anomalous when its unlocated share is at least this many times the usual share (the lower
# quartile of the monthly shares, which stays the usual level even when half the months are affected)
# and at least this many percentage points above it.
ANOMALY_RATIO, ANOMALY_POINTS = 2.0, 0.05
ANOMALY_MIN_MONTHS = 6
ANOMALY_RULE = (
    "a month is flagged when its share of records without a location is at least twice the usual share "
    "(the lower quartile of the monthly shares) and at least 5 percentage points above it"
)


def lower_quartile(values: Sequence[float]) -> float:
    """The 0.25 quantile by linear interpolation, computed as ``numpy.quantile`` computes it (the same
    index, weight and two-sided interpolation), so the result is the same float."""
    ordered = sorted(values)
    virtual = (len(ordered) - 1) * 0.25
    below = math.floor(virtual)
    above = min(below + 1, len(ordered) - 1)
    weight = virtual - below
    low, high = ordered[below], ordered[above]
    step = high - low
    return high - step * (1 - weight) if weight >= 0.5 else low + step * weight


def anomalous(unlocated: Sequence[float], totals: Sequence[float]) -> list[bool]:
    """Which months' unlocated share is anomalous (``ANOMALY_RULE``); all False under 6 months with
    records. Months with no records have a share of 0 and are left out of the usual share."""
    shares = [float(u) / float(t) if t > 0 else 0.0 for u, t in zip(unlocated, totals, strict=True)]
    counted = [s for s, t in zip(shares, totals, strict=True) if t > 0]
    if len(counted) < ANOMALY_MIN_MONTHS:
        return [False] * len(shares)
    usual = lower_quartile(counted)
    return [s >= ANOMALY_RATIO * usual and s - usual >= ANOMALY_POINTS for s in shares]
