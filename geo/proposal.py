"""A proposal file with several parcels (地块) is one proposal.

An 扩区 scheme is often several 地块: a 界址点 TXT with several ``[地块坐标]``
blocks, or a SHP/GeoJSON/GPKG with several features.  They are checked as one
proposal (one verdict, the total area) with a per-parcel breakdown.

:func:`proposal_from_frame` turns a read GeoDataFrame (:func:`geo.io.read_vector`)
into the proposal geometry — the union of all polygon features (adjoining
parcels stay separate parcels in the breakdown but do not make an invalid
MultiPolygon) or feature ``N`` only — and the list of parcels (label from a
name attribute, else 地块1, 地块2 …).  Pass ``parcels`` on to
:class:`geo.check.Proposal`; the check then reports ``CheckResult.parcels``
and, for the area rules, ``details["parcels"]`` (the value per parcel).

Invalid parcels
    A parcel whose boundary crosses itself (a 界址点 TXT with its points out
    of order, a bow-tie drawn in a GIS) or is otherwise invalid is refused
    with a bilingual error naming the parcel and the crossing points
    (:func:`geo.validate.invalid_parcels_error`); ``make_valid`` would cut a
    bow-tie to its two lobes and silently change the area.  With
    ``repair=True`` (``parkmap check --repair``, the app's 自动修复无效地块) the
    parcel is repaired and the repair recorded (``ProposalParcels.repairs``:
    area before and after).  A feature made of valid polygons that merely
    overlap or touch is dissolved (no land is lost) with a warning.  Read
    proposal files with :func:`read_proposal_file`, which keeps invalid
    polygons as they are for this step.

:func:`prepare_proposal_geometry` validates the one geometry a check
measures (the proposal, or a 调区's removed parts) by the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from geo.area import M2_PER_MU, M2_PER_HECTARE, geodesic_area_m2, polygon_parts
from geo.errors import ParkmapError, bilingual
from geo.validate import (
    INVALID_PARCELS_ATTR,
    dissolve_parts,
    invalid_parcels_error,
    invalid_reason_text,
    parcel_title,
    parts_only_overlap,
    polygon_problem,
    polygonal_only,
    repair_parcel,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from geo.io.read import ReadResult

#: Attribute columns naming a parcel, most specific first (国土 TXT: 地块名称 / 地块号).
LABEL_FIELDS: tuple[str, ...] = ("地块名称", "name", "名称", "NAME", "Name", "name_zh", "DKMC", "dkmc", "MC", "mc",
                                 "地块号", "地块编号", "DKBH", "dkbh", "编号", "id", "ID", "Id")
#: Attribute columns naming the whole scheme (same value on every feature).
SCHEME_FIELDS: tuple[str, ...] = ("方案名称", "项目名称", "xmmc", "XMMC", "FAMC", "famc")


def parcel_label(pos: int) -> str:
    """Default label of the parcel at 0-based ``pos``: ``地块1``, ``地块2`` …"""
    return f"地块{pos + 1}"


@dataclass
class ProposalParcels:
    """A proposal read from a file.

    Attributes
    ----------
    geometry : Polygon or MultiPolygon
        Lon/lat EPSG:4490; the union of the parcels.
    parcels : list of dict
        ``{"label", "geometry", "area_m2"}`` per parcel, in file order.
    name : str
        Scheme name from a scheme attribute, the single feature's name, or "".
    feature : int or None
        The 1-based feature picked, or None for all.
    repairs : list of dict
        Parcels repaired with ``repair=True``:
        ``{label, problem_zh, problem_en, area_before_m2, area_after_m2[, declared_area_m2]}``
        (:func:`geo.validate.repair_parcel`); pass them on as
        ``Proposal(repaired=...)`` so the check records them.
    warnings : list of str
        Bilingual notes (parts of a feature that overlapped were dissolved).
    """

    geometry: BaseGeometry
    parcels: list[dict[str, Any]] = field(default_factory=list)
    name: str = ""
    feature: int | None = None
    repairs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def area_m2(self) -> float:
        return geodesic_area_m2(self.geometry)

    def summary(self) -> list[dict[str, Any]]:
        """``[{label, area_m2, area_mu}]`` (no geometries)."""
        return [{"label": p["label"], "area_m2": round(p["area_m2"], 2), "area_mu": round(p["area_m2"] / M2_PER_MU, 4)}
                for p in self.parcels]


def _text(v: object) -> str:
    if v is None:
        return ""
    try:
        import pandas as pd

        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    s = str(v).strip()
    return "" if s.lower() in ("nan", "none") else s


def _label_of(attrs: Mapping[str, Any], pos: int, label_field: str | None) -> str:
    fields = (label_field,) if label_field else LABEL_FIELDS
    for f in fields:
        t = _text(attrs.get(f))
        if t:
            return t
    return parcel_label(pos)


def unique_labels(labels: Iterable[str]) -> list[str]:
    """Labels made unique: a repeated ``A`` becomes ``A（2）``, ``A（3）`` …"""
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        n = seen.get(lab, 0) + 1
        seen[lab] = n
        out.append(lab if n == 1 else f"{lab}（{n}）")
    return out


def union_parcels(geoms: Sequence[BaseGeometry]) -> BaseGeometry:
    """The union of parcel polygons as one valid (Multi)Polygon (adjoining parcels merge)."""
    parts = [p for g in geoms for p in polygon_parts(g)]
    if not parts:
        raise ParkmapError("方案不含面", "The proposal contains no polygon", code="not-polygon")
    u = shapely.union_all([shapely.make_valid(p) if not p.is_valid else p for p in parts])
    polys = polygon_parts(u)
    if not polys:
        raise ParkmapError("方案面积为零", "The proposal has zero area", code="empty")
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _declared_m2(attrs: Mapping[str, Any]) -> float | None:
    """A 界址点 TXT parcel's declared 地块面积 (公顷) in m², else None."""
    value = attrs.get("地块面积")
    if value is None:
        return None
    try:
        ha = float(value)
    except (TypeError, ValueError):
        return None
    return ha * M2_PER_HECTARE if ha == ha and ha > 0 else None


def check_parcel(geom: BaseGeometry, label: str, *, repair: bool, repairs: list[dict[str, Any]],
                 problems: list[tuple[str, str, str, str]], warnings: list[str] | None = None,
                 problem: tuple[str, str] | None = None, declared_m2: float | None = None,
                 number: str | None = None) -> BaseGeometry:
    """One parcel's geometry, valid: unchanged, dissolved, repaired (``repair``), or noted as a problem.

    Parameters
    ----------
    geom : Polygon or MultiPolygon
        Lon/lat, 2-D.
    label : str
        The parcel's label.
    repair : bool
        Repair an invalid parcel (recorded in ``repairs``) instead of adding it to ``problems``.
    repairs, problems, warnings : list
        Collect the repair records, the ``(title 中文, title English, 中文, English)``
        problems (the caller raises :func:`geo.validate.invalid_parcels_error`) and notes.
    problem : (str, str), optional
        A better description than GEOS's (the TXT reader's crossing points).
    declared_m2 : float, optional
        The area the file declares, quoted in the repair record.
    number : str, optional
        The parcel's number in the file (地块号), named in the messages.

    Returns
    -------
    The geometry to use (the input itself when it is invalid and not repaired).
    """
    if shapely.is_valid(geom):
        return geom
    tz, te = parcel_title(label, number)
    dissolved = dissolve_parts(geom) if parts_only_overlap(geom) else None
    if dissolved is not None:  # None (nothing polygonal left): refused or repaired below like any invalid parcel
        if warnings is not None:
            warnings.append(bilingual(f"地块“{tz}”的几个部分相互重叠或相接，已合并为一个面",
                                      f"The parts of parcel '{te}' overlap or touch; they were merged"))
        return dissolved
    problem = problem or polygon_problem(geom) or invalid_reason_text(geom)
    if not repair:
        problems.append((tz, te, problem[0], problem[1]))
        return geom
    fixed, rec = repair_parcel(geom, label, problem, declared_m2, number)
    repairs.append(rec)
    return fixed


def prepare_proposal_geometry(geom: object, what: str = "方案 / proposal", *, repair: bool = False,
                              repairs: list[dict[str, Any]] | None = None) -> tuple[BaseGeometry, list[str]]:
    """Validate a proposal geometry (lon/lat EPSG:4490) for checking.

    Accepts a shapely geometry, a GeoJSON-like mapping or WKT text.  Keeps
    polygonal parts (of a GeometryCollection) and drops Z.  An invalid
    polygon (a boundary crossing itself…) is refused, naming where it crosses
    itself, because ``make_valid`` would change its area silently; with
    ``repair`` it is repaired and the repair (area before and after) appended
    to ``repairs``.  Valid polygons that merely overlap or touch are dissolved.

    Parameters
    ----------
    geom : geometry, mapping or str
    what : str
        ``"中文 / English"`` name of the geometry in messages.
    repair : bool
        Repair an invalid geometry with ``make_valid`` instead of refusing it.
    repairs : list, optional
        Receives the repair record (:func:`geo.validate.repair_parcel`).

    Returns
    -------
    (geometry, warnings)

    Raises
    ------
    ParkmapError
        Empty, not a polygon, projected coordinates (not lon/lat), zero area,
        or (without ``repair``) invalid: ``code="invalid-geometry"``.
    """
    zh_what, en_what = (what.split(" / ") + [what])[:2]
    warnings: list[str] = []
    if isinstance(geom, dict):
        try:
            geom = shape(geom.get("geometry", geom) if geom.get("type") == "Feature" else geom)
        except Exception as exc:  # noqa: BLE001 - any malformed mapping
            raise ParkmapError(f"{zh_what}不是有效的 GeoJSON 几何", f"The {en_what} is not a valid GeoJSON geometry",
                               code="bad-geometry") from exc
    elif isinstance(geom, str):
        try:
            geom = shapely.from_wkt(geom)
        except Exception as exc:  # noqa: BLE001
            raise ParkmapError(f"{zh_what}不是有效的 WKT", f"The {en_what} is not valid WKT", code="bad-geometry") from exc
    if not isinstance(geom, BaseGeometry) or geom.is_empty:
        raise ParkmapError(f"{zh_what}几何为空", f"The {en_what} geometry is empty", code="empty")
    poly_geom: BaseGeometry = shapely.force_2d(geom)
    if poly_geom.geom_type == "GeometryCollection":
        poly = polygonal_only(poly_geom)
        if poly is None:
            raise ParkmapError(f"{zh_what}不含面", f"The {en_what} contains no polygon", code="not-polygon")
        poly_geom = poly
    if poly_geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ParkmapError(f"{zh_what}是 {poly_geom.geom_type}，不是面（Polygon）",
                           f"The {en_what} is a {poly_geom.geom_type}, not a polygon", code="not-polygon")
    coords = shapely.get_coordinates(poly_geom)
    if not np.all(np.isfinite(coords)) or np.any(np.abs(coords[:, 0]) > 180) or np.any(np.abs(coords[:, 1]) > 90):
        raise ParkmapError(f"{zh_what}坐标不是经纬度（应为 EPSG:4490 / 4326）",
                           f"The {en_what} coordinates are not lon/lat (expected EPSG:4490 / 4326)",
                           "用 geo.io.read_vector 读取文件会自动转换坐标系 / read files with geo.io.read_vector to convert",
                           code="crs")
    if not shapely.is_valid(poly_geom):
        problems: list[tuple[str, str, str, str]] = []
        done: list[dict[str, Any]] = []
        poly_geom = check_parcel(poly_geom, zh_what, repair=repair, repairs=done, problems=problems, warnings=warnings)
        if problems:
            raise invalid_parcels_error([(zh_what, en_what, pz, pe) for _, _, pz, pe in problems])
        if repairs is not None:
            repairs.extend(done)
    if geodesic_area_m2(poly_geom) <= 0:
        raise ParkmapError(f"{zh_what}面积为零", f"The {en_what} has zero area", code="empty")
    return poly_geom, warnings


def proposal_from_frame(gdf: gpd.GeoDataFrame | None, feature: int | None = None, *, label_field: str | None = None,
                        name: str = "", repair: bool = False) -> ProposalParcels:
    """One proposal from the polygon features of a read file.

    Parameters
    ----------
    gdf : GeoDataFrame
        As returned by :func:`geo.io.read_vector` (any CRS is converted to EPSG:4490).
    feature : int, optional
        1-based feature to take alone; default: every polygon feature is a parcel of one proposal.
    label_field : str, optional
        Attribute naming each parcel; default the first of :data:`LABEL_FIELDS` with a value.
    name : str
        Scheme name used when the file names none.
    repair : bool
        Repair invalid parcels with ``make_valid`` (recorded in
        ``ProposalParcels.repairs``) instead of refusing them.

    Raises
    ------
    ParkmapError
        No features, a non-polygon feature, ``feature`` out of range, or
        (without ``repair``) invalid parcels: ``code="invalid-geometry"``,
        naming every parcel and where its boundary crosses itself (bilingual).
    """
    from geo.crs import EPSG_CGCS2000, to_cgcs2000

    if gdf is None or len(gdf) == 0:
        raise ParkmapError("文件中没有要素", "The file has no features", code="empty")
    if gdf.crs is None:
        gdf = gdf.set_crs(EPSG_CGCS2000)
    gdf = to_cgcs2000(gdf)
    n = len(gdf)
    if feature is not None:
        try:
            pos = int(feature) - 1
        except (TypeError, ValueError):
            pos = -1
        if not 0 <= pos < n:
            raise ParkmapError(f"要素序号应在 1–{n} 之间，而不是 {feature}", f"The feature number must be within 1–{n}, "
                               f"not {feature}", code="usage")
        rows = [pos]
    else:
        rows = list(range(n))
    geom_col = gdf.geometry.name
    known = dict(gdf.attrs.get(INVALID_PARCELS_ATTR) or {})  # a reader's own description (TXT: the 点号)
    labels, geoms = [], []
    repairs: list[dict[str, Any]] = []
    problems: list[tuple[str, str, str, str]] = []
    notes: list[str] = []
    for pos in rows:
        g = gdf.geometry.iloc[pos]
        if g is None or g.is_empty:
            continue
        g = shapely.force_2d(g)
        polys = polygon_parts(g)
        if not polys:
            raise ParkmapError(f"第 {pos + 1} 个要素是 {g.geom_type}，不是面（Polygon）",
                               f"Feature {pos + 1} is a {g.geom_type}, not a polygon", code="not-polygon")
        if g.geom_type == "GeometryCollection":
            g = polys[0] if len(polys) == 1 else MultiPolygon(polys)
        attrs = gdf.iloc[pos].drop(labels=[geom_col]).to_dict()
        label = _label_of(attrs, pos, label_field)
        if not g.is_valid:
            problem = known.get(gdf.index[pos])
            g = check_parcel(g, label, repair=repair, repairs=repairs, problems=problems, warnings=notes,
                             problem=problem, declared_m2=_declared_m2(attrs) if problem else None,
                             number=_text(attrs.get("地块号")) or None)
        labels.append(label)
        geoms.append(g)
    if problems:
        raise invalid_parcels_error(problems)
    if not geoms:
        raise ParkmapError("文件中的要素几何均为空", "Every feature of the file has an empty geometry", code="empty")
    labels = unique_labels(labels)
    parcels = [{"label": lab, "geometry": g, "area_m2": geodesic_area_m2(g)} for lab, g in zip(labels, geoms)]
    scheme = ""
    for f in SCHEME_FIELDS:
        if f in gdf.columns:
            vals = {_text(v) for v in gdf[f].iloc[rows]} - {""}
            if len(vals) == 1:
                scheme = vals.pop()
                break
    if not scheme and len(parcels) == 1 and labels[0] != parcel_label(rows[0]):
        scheme = labels[0]
    return ProposalParcels(geometry=union_parcels(geoms), parcels=parcels, name=scheme or name,
                           feature=None if feature is None else rows[0] + 1, repairs=repairs, warnings=notes)


def read_proposal_file(path: str | Path, **kwargs: Any) -> ReadResult:
    """Read a proposal file for :func:`proposal_from_frame`: like :func:`geo.io.read_vector`,
    but invalid polygons are kept exactly as read, so that they are refused (or
    repaired) parcel by parcel with their names, not silently repaired.

    Parameters
    ----------
    path : str or Path
    **kwargs
        ``crs``, ``encoding``, ``layer``, ``limits``, ``bbox`` of ``read_vector``.

    Returns
    -------
    geo.io.ReadResult
    """
    from geo.io.read import read_vector
    from geo.validate import SICHUAN_BBOX, validate_polygons

    bbox = kwargs.pop("bbox", SICHUAN_BBOX)
    res = read_vector(path, validate=False, **kwargs)
    res.gdf, more = validate_polygons(res.gdf, source_crs=res.source_crs, bbox=bbox, repair=False)
    res.warnings = res.warnings + more
    return res


def normalize_parcels(parcels: Iterable[object] | None, geometry: BaseGeometry | None, *, repair: bool = False,
                      repairs: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """``[{label, geometry}]`` from a Proposal's ``parcels`` (dicts, (label, geom) pairs, or geometries).

    Without parcels, each polygon part of ``geometry`` is a parcel (地块1, 地块2 …).
    GeoJSON mappings are accepted for geometries.  An invalid parcel is
    refused (``code="invalid-geometry"``, naming it and where it crosses
    itself) unless ``repair``; repairs are appended to ``repairs``.
    """
    out: list[dict[str, Any]] = []
    problems: list[tuple[str, str, str, str]] = []
    repairs = repairs if repairs is not None else []
    if parcels:
        for pos, p in enumerate(parcels):
            if isinstance(p, Mapping):
                label, g = _text(p.get("label")) or parcel_label(pos), p.get("geometry")
            elif isinstance(p, (tuple, list)) and len(p) == 2:
                label, g = _text(p[0]) or parcel_label(pos), p[1]
            else:
                label, g = parcel_label(pos), p
            if isinstance(g, Mapping):
                g = shape(g)
            if not isinstance(g, BaseGeometry) or g.is_empty or not polygon_parts(g):
                raise ParkmapError(f"地块 {label} 不是面", f"Parcel {label} is not a polygon", code="not-polygon")
            g = shapely.force_2d(g)
            if not g.is_valid:
                g = check_parcel(g, label, repair=repair, repairs=repairs, problems=problems)
            out.append({"label": label, "geometry": g})
        if problems:
            raise invalid_parcels_error(problems)
    elif geometry is not None:
        out = [{"label": parcel_label(i), "geometry": p} for i, p in enumerate(polygon_parts(geometry))]
    labels = unique_labels(p["label"] for p in out)
    for p, lab in zip(out, labels):
        p["label"] = lab
    return out


def parcel_breakdown(parcels: Sequence[Mapping[str, Any]], part: BaseGeometry | None, total: float,
                     nd: int = 2) -> list[dict[str, Any]]:
    """A rule's area value per parcel: ``[{label, value}]`` (m² of ``part`` inside each parcel).

    ``part`` is what the rule measured (overlap with the layer, or the part
    outside the boundary), lon/lat.  One parcel takes ``total`` as it is.
    """
    if len(parcels) == 1:
        return [{"label": parcels[0]["label"], "value": round(float(total), nd)}]
    if part is None or part.is_empty or total <= 0:
        return [{"label": p["label"], "value": 0.0} for p in parcels]
    shapely.prepare(part)
    out = []
    for p in parcels:
        g = p["geometry"]
        if not shapely.intersects(part, g):
            v = 0.0
        else:
            v = geodesic_area_m2(shapely.intersection(g, part))
        out.append({"label": p["label"], "value": round(float(v), nd)})
    return out


def parcels_to_json(parcels: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Parcels with GeoJSON geometries (for a proposal's saved options)."""
    return [{"label": p["label"], "geometry": mapping(p["geometry"])} for p in parcels]


__all__ = ["LABEL_FIELDS", "ProposalParcels", "check_parcel", "normalize_parcels", "parcel_breakdown", "parcel_label",
           "parcels_to_json", "prepare_proposal_geometry", "proposal_from_frame", "read_proposal_file", "union_parcels",
           "unique_labels"]
