"""Two-sided p-values of standard normal z-scores, without importing ``scipy.stats``.

Why: ``scipy.stats`` costs about half a CPU-second to import, paid by every hot-spot command (Gi*,
emerging hot spots, smoothed rates) for one function. ``scipy.stats.norm.sf(x)`` is
``scipy.special.ndtr(-x)``, so the p-values here are the same to the last bit (a test holds them equal).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr


def two_sided_p(z: np.ndarray | float) -> np.ndarray:
    """P(|Z| >= |z|) for a standard normal Z; NaN stays NaN."""
    return 2.0 * ndtr(-np.abs(z))
