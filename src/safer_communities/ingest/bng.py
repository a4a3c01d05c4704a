"""WGS84 longitude/latitude -> British National Grid (EPSG:27700), vectorised, with no grid files.

Why a closed form: the exact OS transform (OSTN15) needs a grid file we cannot download at run time,
and pyproj without it falls back to the same 7-parameter Helmert used here. Doing it in closed form
lets the ingest compute easting/northing inside DuckDB's ``INSERT ... SELECT`` (no round trip
through Python), and gives ``to_bng`` for numpy arrays with identical results.

Method (Ordnance Survey, "A guide to coordinate systems in Great Britain", 2020): geodetic
WGS84 -> cartesian -> Helmert (WGS84 -> OSGB36, OS published parameters) -> geodetic on Airy 1830
(Bowring) -> Transverse Mercator (OS series). Agrees with pyproj's EPSG:4326 -> 27700 to within a
few centimetres; both are within about 2-5 m of OSTN15 (the Helmert's stated accuracy). police.uk
points are already snapped to anonymous map points, so this is well inside the data's own precision.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

# WGS84 ellipsoid (h = 0: police.uk gives no heights).
_A_WGS, _B_WGS = 6378137.0, 6356752.314245
_E2_WGS = 1 - (_B_WGS**2) / (_A_WGS**2)
# Helmert WGS84 -> OSGB36 (OS guide, table 4): metres, ppm, arc seconds.
_TX, _TY, _TZ = -446.448, 125.157, -542.060
_S = 20.4894e-6
_RX, _RY, _RZ = (math.radians(v / 3600) for v in (-0.1502, -0.2470, -0.8421))
# Airy 1830 and the National Grid projection.
_A, _B = 6377563.396, 6356256.909
_E2 = 1 - (_B**2) / (_A**2)
_EP2 = (_A**2 - _B**2) / (_B**2)
_F0 = 0.9996012717
_PHI0, _LAM0 = math.radians(49.0), math.radians(-2.0)
_E0, _N0 = 400000.0, -100000.0
_N = (_A - _B) / (_A + _B)
_M1 = 1 + _N + 1.25 * _N**2 + 1.25 * _N**3
_M2 = 3 * _N + 3 * _N**2 + 21 / 8 * _N**3
_M3 = 15 / 8 * _N**2 + 15 / 8 * _N**3
_M4 = 35 / 24 * _N**3


def to_bng(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Easting and northing (metres, EPSG:27700) of WGS84 longitudes and latitudes (degrees).

    Vectorised over numpy arrays; NaN in gives NaN out. Accuracy: see the module docstring.

    Examples
    --------
    >>> e, n = to_bng([-2.704814], [53.759020])   # Preston
    """
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    sin_phi, cos_phi = np.sin(phi), np.cos(phi)
    nu_w = _A_WGS / np.sqrt(1 - _E2_WGS * sin_phi**2)
    x = nu_w * cos_phi * np.cos(lam)
    y = nu_w * cos_phi * np.sin(lam)
    z = (1 - _E2_WGS) * nu_w * sin_phi
    x2 = _TX + (1 + _S) * x - _RZ * y + _RY * z
    y2 = _TY + _RZ * x + (1 + _S) * y - _RX * z
    z2 = _TZ - _RY * x + _RX * y + (1 + _S) * z
    p = np.sqrt(x2**2 + y2**2)
    theta = np.arctan2(z2 * _A, p * _B)
    phi = np.arctan2(z2 + _EP2 * _B * np.sin(theta) ** 3, p - _E2 * _A * np.cos(theta) ** 3)
    lam = np.arctan2(y2, x2)
    return _project(phi, lam)


def _project(phi: NDArray[np.float64], lam: NDArray[np.float64]) -> tuple[NDArray[np.float64],
                                                                          NDArray[np.float64]]:
    sin_phi, cos_phi, tan_phi = np.sin(phi), np.cos(phi), np.tan(phi)
    k = 1 - _E2 * sin_phi**2
    nu = _A * _F0 / np.sqrt(k)
    rho = _A * _F0 * (1 - _E2) / k**1.5
    eta2 = nu / rho - 1
    dp, sp = phi - _PHI0, phi + _PHI0
    m = _B * _F0 * (_M1 * dp - _M2 * np.sin(dp) * np.cos(sp) + _M3 * np.sin(2 * dp) * np.cos(2 * sp)
                    - _M4 * np.sin(3 * dp) * np.cos(3 * sp))
    t2 = tan_phi**2
    i = m + _N0
    ii = nu / 2 * sin_phi * cos_phi
    iii = nu / 24 * sin_phi * cos_phi**3 * (5 - t2 + 9 * eta2)
    iiia = nu / 720 * sin_phi * cos_phi**5 * (61 - 58 * t2 + t2**2)
    iv = nu * cos_phi
    v = nu / 6 * cos_phi**3 * (nu / rho - t2)
    vi = nu / 120 * cos_phi**5 * (5 - 18 * t2 + t2**2 + 14 * eta2 - 58 * t2 * eta2)
    dl = lam - _LAM0
    northing = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    easting = _E0 + iv * dl + v * dl**3 + vi * dl**5
    return easting, northing


def bng_sql(relation: str, lon: str = "longitude", lat: str = "latitude") -> str:
    """A DuckDB query adding ``easting`` and ``northing`` to ``relation`` (same maths as ``to_bng``).

    ``relation`` is a table name or a parenthesised subquery; ``lon``/``lat`` name DOUBLE columns.
    Each stage is a nested SELECT so DuckDB evaluates every intermediate once per row, vectorised.
    """
    f = repr  # full-precision float literals
    stage1 = (
        f"SELECT *, radians({lat}) AS _phi, radians({lon}) AS _lam, "
        f"{f(_A_WGS)} / sqrt(1 - {f(_E2_WGS)} * sin(radians({lat})) ^ 2) AS _nu FROM {relation}"
    )
    stage2 = (
        "SELECT *, _nu * cos(_phi) * cos(_lam) AS _x, _nu * cos(_phi) * sin(_lam) AS _y, "
        f"{f(1 - _E2_WGS)} * _nu * sin(_phi) AS _z FROM ({stage1})"
    )
    stage3 = (
        f"SELECT *, {f(_TX)} + {f(1 + _S)} * _x - {f(_RZ)} * _y + {f(_RY)} * _z AS _x2, "
        f"{f(_TY)} + {f(_RZ)} * _x + {f(1 + _S)} * _y - {f(_RX)} * _z AS _y2, "
        f"{f(_TZ)} - {f(_RY)} * _x + {f(_RX)} * _y + {f(1 + _S)} * _z AS _z2 FROM ({stage2})"
    )
    stage4 = (
        "SELECT *, sqrt(_x2 * _x2 + _y2 * _y2) AS _p, "
        f"atan2(_z2 * {f(_A)}, sqrt(_x2 * _x2 + _y2 * _y2) * {f(_B)}) AS _theta FROM ({stage3})"
    )
    stage5 = (
        f"SELECT *, atan2(_z2 + {f(_EP2 * _B)} * sin(_theta) ^ 3, _p - {f(_E2 * _A)} * cos(_theta) ^ 3)"
        f" AS _phi2, atan2(_y2, _x2) - {f(_LAM0)} AS _dl FROM ({stage4})"
    )
    stage6 = (
        "SELECT *, sin(_phi2) AS _s, cos(_phi2) AS _c, tan(_phi2) ^ 2 AS _t2, "
        f"1 - {f(_E2)} * sin(_phi2) ^ 2 AS _k, _phi2 - {f(_PHI0)} AS _dp, _phi2 + {f(_PHI0)} AS _sp "
        f"FROM ({stage5})"
    )
    stage7 = (
        f"SELECT *, {f(_A * _F0)} / sqrt(_k) AS _nu2, {f(_A * _F0 * (1 - _E2))} / _k ^ 1.5 AS _rho, "
        f"{f(_B * _F0)} * ({f(_M1)} * _dp - {f(_M2)} * sin(_dp) * cos(_sp) "
        f"+ {f(_M3)} * sin(2 * _dp) * cos(2 * _sp) - {f(_M4)} * sin(3 * _dp) * cos(3 * _sp)) AS _m "
        f"FROM ({stage6})"
    )
    stage8 = (
        "SELECT *, _nu2 / _rho - 1 AS _eta2 FROM (" + stage7 + ")"
    )
    northing = (
        f"_m + {f(_N0)} + _nu2 / 2 * _s * _c * _dl ^ 2 "
        "+ _nu2 / 24 * _s * _c ^ 3 * (5 - _t2 + 9 * _eta2) * _dl ^ 4 "
        "+ _nu2 / 720 * _s * _c ^ 5 * (61 - 58 * _t2 + _t2 ^ 2) * _dl ^ 6"
    )
    easting = (
        f"{f(_E0)} + _nu2 * _c * _dl + _nu2 / 6 * _c ^ 3 * (_nu2 / _rho - _t2) * _dl ^ 3 "
        "+ _nu2 / 120 * _c ^ 5 * (5 - 18 * _t2 + _t2 ^ 2 + 14 * _eta2 - 58 * _t2 * _eta2) * _dl ^ 5"
    )
    temps = ("_phi, _lam, _nu, _x, _y, _z, _x2, _y2, _z2, _p, _theta, _phi2, _dl, _s, _c, _t2, _k, "
             "_dp, _sp, _nu2, _rho, _m, _eta2")
    return (
        f"SELECT * EXCLUDE ({temps}), {easting} AS easting, {northing} AS northing FROM ({stage8})"
    )
