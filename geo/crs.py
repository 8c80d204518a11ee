"""Coordinate reference systems used in Sichuan planning data.

Working CRS
    Everything inside parkmap is CGCS2000 geographic lon/lat (EPSG:4490).
    WGS84 (EPSG:4326) is treated as equivalent: the two frames differ by
    well under 1 m in Sichuan, below the precision of planning data, and PROJ
    itself transforms between them as a no-op.

Gauss–Krüger (GK) zones
    CGCS2000 3-degree zones 33–36 (central meridians 99, 102, 105, 108 °E)
    cover Sichuan.  Eastings either carry the zone number as a prefix
    (``35512345.678`` → zone 35, EPSG:4521–4524 for zones 33–36) or not
    (``512345.678`` with false easting 500 000 m, EPSG:4542–4545).  All
    CGCS2000 3-degree zones 25–45 (and 6-degree zones 13–23) are supported.

GCJ-02
    The obfuscated "Mars" coordinates used by Chinese web maps (Amap/Gaode,
    Tencent).  :func:`wgs84_to_gcj02` / :func:`gcj02_to_wgs84` implement the
    standard Krasovsky-ellipsoid formulas, applied only inside China's bbox.
    They live in :mod:`geo.gcj02` and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

from geo.errors import ParkmapError
from geo.gcj02 import gcj02_to_wgs84 as gcj02_to_wgs84
from geo.gcj02 import out_of_china as out_of_china
from geo.gcj02 import transform_geometry_gcj02 as transform_geometry_gcj02
from geo.gcj02 import wgs84_to_gcj02 as wgs84_to_gcj02

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

EPSG_CGCS2000 = 4490
EPSG_WGS84 = 4326
EPSG_WEB_MERCATOR = 3857

#: CGCS2000 3-degree GK zones covering Sichuan (central meridians 99–108 °E).
SICHUAN_GK3_ZONES: tuple[int, ...] = (33, 34, 35, 36)

# EPSG ranges of the CGCS2000 Gauss–Krüger families: (first zone, last zone,
# first EPSG with zone prefix, first EPSG without prefix).
_GK_FAMILIES: dict[int, tuple[int, int, int, int]] = {
    3: (25, 45, 4513, 4534),  # 3-degree: CM = 3 * zone
    6: (13, 23, 4491, 4502),  # 6-degree: CM = 6 * zone - 3
}

# Broad China bbox used for sanity checks of guessed CRSs (lon/lat).
_CHINA_BBOX = (72.0, 3.0, 136.0, 54.0)

# Geographic CRSs treated as "the same as CGCS2000" (< 1 m apart).
_GEOGRAPHIC_EQUIVALENT = frozenset({EPSG_CGCS2000, EPSG_WGS84})

FloatArray = NDArray[np.float64]

#: What :func:`project_geometry` accepts for a CRS: an EPSG code, a string pyproj understands, or a CRS.
CRSInput = int | str | pyproj.CRS


# --------------------------------------------------------------------------
# Gauss–Krüger zone arithmetic
# --------------------------------------------------------------------------
def gk_zone_for_lon(lon: float, width: int = 3) -> int:
    """Return the Gauss–Krüger zone number containing longitude ``lon``.

    Parameters
    ----------
    lon : float
        Longitude in degrees east.
    width : {3, 6}
        Zone width in degrees.

    Returns
    -------
    int
        3-degree zone ``round(lon / 3)`` (CM = 3·zone), or 6-degree zone
        ``floor(lon / 6) + 1`` (CM = 6·zone − 3).
    """
    _check_width(width)
    if not np.isfinite(lon):
        raise ParkmapError("经度不是有效数字", "Longitude is not a finite number", code="crs")
    if width == 3:
        return int(np.floor((lon + 1.5) / 3.0))
    return int(np.floor(lon / 6.0)) + 1


def gk_central_meridian(zone: int, width: int = 3) -> float:
    """Return the central meridian (degrees) of a GK ``zone``."""
    _check_width(width)
    return float(3 * zone) if width == 3 else float(6 * zone - 3)


def epsg_for_gk_zone(zone: int, prefixed: bool, width: int = 3) -> int:
    """Return the CGCS2000 GK EPSG code for ``zone``.

    Parameters
    ----------
    zone : int
        Zone number (3-degree: 25–45, Sichuan 33–36; 6-degree: 13–23).
    prefixed : bool
        True if eastings carry the zone number (e.g. 35 512 345 m).
    width : {3, 6}
        Zone width in degrees.

    Returns
    -------
    int
        e.g. zone 35 → 4523 (prefixed) or 4544 (unprefixed, CM 105 °E).
    """
    _check_width(width)
    first, last, epsg_prefixed, epsg_plain = _GK_FAMILIES[width]
    if not first <= int(zone) <= last:
        raise ParkmapError(
            f"带号 {zone} 不在 CGCS2000 {width}度带范围 {first}–{last} 内",
            f"Zone {zone} is outside the CGCS2000 {width}-degree zone range {first}–{last}",
            "四川3度带为 33–36 / Sichuan 3-degree zones are 33–36",
            code="crs",
        )
    base = epsg_prefixed if prefixed else epsg_plain
    return base + int(zone) - first


def gk_zone_info(epsg: int) -> tuple[int, int, bool] | None:
    """Inverse of :func:`epsg_for_gk_zone`.

    Returns
    -------
    tuple of (zone, width, prefixed) or None
        None if ``epsg`` is not a CGCS2000 GK code.
    """
    for width, (first, last, epsg_prefixed, epsg_plain) in _GK_FAMILIES.items():
        n = last - first + 1
        if epsg_prefixed <= epsg < epsg_prefixed + n:
            return first + epsg - epsg_prefixed, width, True
        if epsg_plain <= epsg < epsg_plain + n:
            return first + epsg - epsg_plain, width, False
    return None


def _check_width(width: int) -> None:
    if width not in _GK_FAMILIES:
        raise ParkmapError(
            f"几度分带必须为 3 或 6，而不是 {width}",
            f"Zone width must be 3 or 6, not {width}",
            code="crs",
        )


# --------------------------------------------------------------------------
# Parsing and describing CRSs
# --------------------------------------------------------------------------
def parse_crs(value: str | int | pyproj.CRS) -> pyproj.CRS:
    """Parse a user-supplied CRS (``4523``, ``"EPSG:4523"``, WKT, PROJ...).

    Raises
    ------
    ParkmapError
        If pyproj cannot understand ``value``.
    """
    if isinstance(value, pyproj.CRS):
        return value
    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError as exc:
        raise ParkmapError(
            f"无法识别坐标系 “{value}”",
            f"Unrecognised CRS '{value}'",
            "例如 --crs 4523 或 --crs EPSG:4544 / e.g. --crs 4523 or --crs EPSG:4544",
            code="crs",
        ) from exc


def crs_to_epsg(crs: pyproj.CRS | None) -> int | None:
    """Return the EPSG code of ``crs`` (or None if it has no good match)."""
    if crs is None:
        return None
    epsg = crs.to_epsg()
    if epsg is None:
        epsg = crs.to_epsg(min_confidence=70)
    return epsg


@dataclass(frozen=True)
class DetectedCRS:
    """The CRS a file was read in and how it was determined.

    Attributes
    ----------
    epsg : int or None
        EPSG code, None only for declared CRSs without an EPSG equivalent.
    method : str
        ``"user"`` (--crs), ``"declared"`` (.prj / GeoPackage / GeoJSON),
        ``"kml-spec"``, ``"lonlat-range"``, ``"zone-prefix-in-easting"``,
        ``"txt-header-zone"`` or ``"magnitude"`` (Web-Mercator guess).
    note : str
        Bilingual explanation (may be empty).
    wkt : str or None
        WKT when ``epsg`` is None.
    warning : str
        Bilingual warning the user should check (a declared CRS was
        ignored, header zone contradicts the easting prefix, a guess).
    """

    epsg: int | None
    method: str
    note: str = ""
    wkt: str | None = None
    warning: str = ""

    def to_crs(self) -> pyproj.CRS:
        """Return the :class:`pyproj.CRS`."""
        if self.epsg is not None:
            return pyproj.CRS.from_epsg(self.epsg)
        return pyproj.CRS.from_wkt(self.wkt or "")

    @property
    def label(self) -> str:
        """Short label such as ``"EPSG:4523"``."""
        if self.epsg is not None:
            return f"EPSG:{self.epsg}"
        return self.to_crs().name

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable representation."""
        return {
            "epsg": self.epsg,
            "name": self.to_crs().name,
            "method": self.method,
            "note": self.note,
            "warning": self.warning,
        }


def _declared(crs: pyproj.CRS, method: str, note: str = "") -> DetectedCRS:
    epsg = crs_to_epsg(crs)
    return DetectedCRS(epsg=epsg, method=method, note=note, wkt=None if epsg else crs.to_wkt())


# --------------------------------------------------------------------------
# Detection from coordinate magnitudes
# --------------------------------------------------------------------------
def _finite_xy(xs: ArrayLike, ys: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(xs, dtype=float).ravel()
    y = np.asarray(ys, dtype=float).ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def looks_lonlat(xs: FloatArray, ys: FloatArray) -> bool:
    """True if all coordinates are within lon ±180 / lat ±90."""
    return bool(np.all(np.abs(xs) <= 180.0) and np.all(np.abs(ys) <= 90.0))


def _is_plain_gk(xs: FloatArray, ys: FloatArray) -> bool:
    return bool(np.all((xs >= 1e5) & (xs < 1e6)) and np.all((ys >= 1e6) & (ys < 1e7)))


def _is_prefixed_gk(xs: FloatArray, ys: FloatArray) -> bool:
    return bool(np.all((xs >= 1e7) & (xs < 1e8)) and np.all((ys >= 0) & (ys < 1e7)))


def _false_easting(crs: pyproj.CRS) -> float | None:
    op = crs.coordinate_operation
    if op is None:
        return None
    for p in op.params:
        if p.name.lower() == "false easting":
            return float(p.value)
    return None


def _range_text(xs: FloatArray, ys: FloatArray) -> str:
    return f"x {xs.min():.3f}…{xs.max():.3f}, y {ys.min():.3f}…{ys.max():.3f}"


def _declared_mismatch(crs: pyproj.CRS, xs: FloatArray, ys: FloatArray) -> bool:
    """True if a declared CRS obviously contradicts the coordinate magnitudes."""
    if crs.is_geographic:
        return not looks_lonlat(xs, ys)
    if crs.is_projected:
        if looks_lonlat(xs, ys):
            return True
        fe = _false_easting(crs)
        if fe is not None and fe < 1e6 and _is_prefixed_gk(xs, ys):
            return True
        if fe is not None and fe >= 1e7 and _is_plain_gk(xs, ys):
            return True
    return False


def _web_mercator_in_china(xs: FloatArray, ys: FloatArray) -> bool:
    if not (np.all(np.abs(xs) <= 20037508.35) and np.all(np.abs(ys) <= 20048966.11)):
        return False
    lon, lat = transformer(EPSG_WEB_MERCATOR, EPSG_CGCS2000).transform(xs, ys)
    x0, y0, x1, y1 = _CHINA_BBOX
    return bool(np.all((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)))


def detect_crs(
    xs: ArrayLike,
    ys: ArrayLike,
    declared: str | int | pyproj.CRS | None = None,
    header_zone: int | None = None,
    *,
    zone_width: int = 3,
    source: str = "declared",
) -> DetectedCRS:
    """Determine the CRS of raw coordinates.

    Parameters
    ----------
    xs, ys : array-like
        Easting/longitude and northing/latitude values.
    declared : str, int or pyproj.CRS, optional
        CRS declared by the file (``source="declared"``) or by the user
        (``source="user"``, always trusted).  A file-declared CRS that plainly
        contradicts the magnitudes (e.g. GeoJSON defaulting to WGS84 but
        holding GK metres) is ignored with a ``warning`` and detection runs.
    header_zone : int, optional
        Zone number from a TXT header (带号), used for unprefixed eastings.
    zone_width : {3, 6}
        Zone width for ``header_zone`` (几度分带).
    source : str
        Method label recorded for a declared CRS.

    Returns
    -------
    DetectedCRS

    Raises
    ------
    ParkmapError
        No coordinates, unprefixed GK eastings without a zone
        (``code="crs-ambiguous"``), or unrecognisable magnitudes.
    """
    x, y = _finite_xy(xs, ys)
    warn = ""
    if declared is not None:
        crs = parse_crs(declared)
        if source == "user" or x.size == 0 or not _declared_mismatch(crs, x, y):
            return _declared(crs, source)
        warn = (
            f"文件声明的坐标系 {crs.name} 与坐标数值不符，已忽略并按数值判断 / "
            f"the declared CRS {crs.name} contradicts the coordinate values; ignored and detected from values"
        )
    if x.size == 0:
        raise ParkmapError("文件中没有任何坐标", "The file contains no coordinates", code="empty")

    if looks_lonlat(x, y):
        return DetectedCRS(
            EPSG_CGCS2000,
            "lonlat-range",
            "经纬度坐标，按 CGCS2000 处理（与 WGS84 相差 <1 m） / lon/lat degrees, treated as CGCS2000 (within 1 m of WGS84)",
            warning=warn,
        )

    if _is_prefixed_gk(x, y):
        prefixes = np.unique(np.floor(x / 1e6).astype(int))
        if prefixes.size > 1:
            raise ParkmapError(
                f"东坐标的带号前缀不一致：{', '.join(map(str, prefixes))}",
                f"Eastings carry different zone prefixes: {', '.join(map(str, prefixes))}",
                "请分带分别导出 / export one zone per file",
                code="crs",
            )
        zone = int(prefixes[0])
        width = 3 if 25 <= zone <= 45 else 6 if 13 <= zone <= 23 else 0
        if width == 6 and _web_mercator_in_china(x, y):
            width = 0  # Web Mercator metres are the likelier reading
        if width:
            if header_zone is not None and int(header_zone) != zone:
                warn = _join(warn, f"文件头带号 {header_zone} 与东坐标前缀 {zone} 不符，采用前缀 / "
                                   f"header zone {header_zone} differs from easting prefix {zone}; using the prefix")
            epsg = epsg_for_gk_zone(zone, True, width)
            return DetectedCRS(epsg, "zone-prefix-in-easting",
                               f"{width}度带 第{zone}带 / {width}-degree GK zone {zone}", warning=warn)

    if _is_plain_gk(x, y):
        if header_zone is not None:
            epsg = epsg_for_gk_zone(int(header_zone), False, zone_width)
            cm = gk_central_meridian(int(header_zone), zone_width)
            return DetectedCRS(epsg, "txt-header-zone",
                               f"带号 {header_zone}（中央经线 {cm:g}°） / zone {header_zone} (CM {cm:g}°E)", warning=warn)
        raise ParkmapError(
            "坐标是不带带号的高斯-克吕格投影坐标（东坐标约 500000 m），无法确定所在投影带",
            "Coordinates look like Gauss–Krüger metres without a zone prefix (easting ≈ 500000 m); the zone cannot be determined",
            "请用 --crs 指定坐标系或附上 .prj 文件；四川 CGCS2000：EPSG:4542(99°E) 4543(102°E) 4544(105°E) 4545(108°E) / "
            "declare the CRS with --crs or a .prj file; Sichuan CGCS2000: EPSG:4542 (99°E), 4543 (102°E), 4544 (105°E), 4545 (108°E)",
            code="crs-ambiguous",
        )

    if _web_mercator_in_china(x, y):
        guess = ("数值像 Web 墨卡托米制坐标，已按 EPSG:3857 处理，请核对 / "
                 "values look like Web-Mercator metres, read as EPSG:3857; please verify")
        return DetectedCRS(EPSG_WEB_MERCATOR, "magnitude", guess, warning=_join(warn, guess))

    raise ParkmapError(
        f"无法根据坐标数值判断坐标系（{_range_text(x, y)}）",
        f"Cannot determine the CRS from the coordinate values ({_range_text(x, y)})",
        "请用 --crs 指定，例如 --crs 4523 / declare it with --crs, e.g. --crs 4523",
        code="crs-unknown",
    )


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


# --------------------------------------------------------------------------
# Transformations
# --------------------------------------------------------------------------
@lru_cache(maxsize=64)
def transformer(src: int | str, dst: int | str) -> pyproj.Transformer:
    """Return a cached ``always_xy`` transformer between two CRS inputs."""
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


@lru_cache(maxsize=64)
def _local_crs_for_zone(zone: int) -> pyproj.CRS:
    first, last, _, _ = _GK_FAMILIES[3]
    if first <= zone <= last:
        return pyproj.CRS.from_epsg(epsg_for_gk_zone(zone, False))
    # Outside China: an equivalent transverse Mercator on GRS80.
    return pyproj.CRS.from_proj4(
        f"+proj=tmerc +lat_0=0 +lon_0={3 * zone} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )


def local_gk_crs(geom_or_lonlat: BaseGeometry | tuple[float, float]) -> pyproj.CRS:
    """Return the unprefixed CGCS2000 3-degree GK CRS for a feature's centroid.

    Parameters
    ----------
    geom_or_lonlat : shapely geometry (lon/lat) or (lon, lat)
        The feature (or point) whose centroid selects the zone.

    Returns
    -------
    pyproj.CRS
        EPSG:4542–4545 in Sichuan (CM 99–108 °E); used for metric buffers
        and distances.
    """
    if isinstance(geom_or_lonlat, BaseGeometry):
        if geom_or_lonlat.is_empty:
            raise ParkmapError("空几何没有中心点", "An empty geometry has no centroid", code="empty")
        lon = geom_or_lonlat.centroid.x
    else:
        lon = float(geom_or_lonlat[0])
    return _local_crs_for_zone(gk_zone_for_lon(lon))


def default_gk_zone(geometry: object) -> int:
    """The CGCS2000 3-degree GK zone of a proposal: the zone of its centroid longitude.

    Parameters
    ----------
    geometry : shapely geometry (lon/lat), GeoJSON mapping, or an object with a ``geometry``
        (e.g. a :class:`geo.check.CheckResult`).

    Returns
    -------
    int
        e.g. 104.04 °E → 35 (CM 105 °E); Sichuan spans 33–36.

    Raises
    ------
    ParkmapError
        Empty or missing geometry.
    """
    g = geometry
    if not isinstance(g, (BaseGeometry, dict)) and hasattr(g, "geometry"):
        g = g.geometry
    if isinstance(g, dict):
        from shapely.geometry import shape

        g = shape(g.get("geometry", g) if g.get("type") == "Feature" else g)
    if not isinstance(g, BaseGeometry) or g.is_empty:
        raise ParkmapError("没有方案几何，无法确定投影带", "No proposal geometry: cannot choose the GK zone", code="empty")
    return gk_zone_for_lon(g.centroid.x)


def project_geometry(geom: BaseGeometry, src: CRSInput, dst: CRSInput) -> BaseGeometry:
    """Transform a shapely geometry between two CRSs (x = lon/easting)."""
    t = transformer(_crs_key(src), _crs_key(dst))

    def _fn(coords: FloatArray) -> FloatArray:
        x, y = t.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _fn)


def _crs_key(crs: CRSInput) -> int | str:
    if isinstance(crs, pyproj.CRS):
        epsg = crs.to_epsg()
        return epsg if epsg is not None else crs.to_wkt()
    return crs


def to_cgcs2000(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject a GeoDataFrame to EPSG:4490 (no-op if already 4490).

    Raises
    ------
    ParkmapError
        If the frame has no CRS or the transformation produces
        non-finite coordinates (coordinates outside the CRS's domain).
    """
    if gdf.crs is None:
        raise ParkmapError("数据没有坐标系", "The data has no CRS", code="crs")
    epsg = crs_to_epsg(gdf.crs)
    if epsg == EPSG_CGCS2000:
        out = gdf.copy()
    elif epsg == EPSG_WGS84:
        # Treated as equivalent (< 1 m); just relabel.
        out = gdf.set_crs(EPSG_CGCS2000, allow_override=True)
    else:
        out = gdf.to_crs(EPSG_CGCS2000)
    coords = shapely.get_coordinates(out.geometry.values)
    if coords.size and not np.all(np.isfinite(coords)):
        raise ParkmapError(
            f"从 {gdf.crs.name} 转换到 CGCS2000 失败（坐标超出该坐标系的有效范围）",
            f"Transforming from {gdf.crs.name} to CGCS2000 failed (coordinates outside that CRS's valid area)",
            "请检查坐标系/带号 / check the CRS and zone",
            code="crs",
        )
    return out
