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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from geo.area import M2_PER_MU, geodesic_area_m2, polygon_parts
from geo.errors import ParkmapError

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
    """

    geometry: BaseGeometry
    parcels: list[dict[str, Any]] = field(default_factory=list)
    name: str = ""
    feature: int | None = None

    @property
    def area_m2(self) -> float:
        return geodesic_area_m2(self.geometry)

    def summary(self) -> list[dict[str, Any]]:
        """``[{label, area_m2, area_mu}]`` (no geometries)."""
        return [{"label": p["label"], "area_m2": round(p["area_m2"], 2), "area_mu": round(p["area_m2"] / M2_PER_MU, 4)}
                for p in self.parcels]


def _text(v: Any) -> str:
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


def proposal_from_frame(gdf: Any, feature: int | None = None, *, label_field: str | None = None,
                        name: str = "") -> ProposalParcels:
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

    Raises
    ------
    ParkmapError
        No features, a non-polygon feature, or ``feature`` out of range (bilingual).
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
    labels, geoms = [], []
    for pos in rows:
        g = gdf.geometry.iloc[pos]
        if g is None or g.is_empty:
            continue
        g = shapely.force_2d(g)
        polys = polygon_parts(g)
        if not polys:
            raise ParkmapError(f"第 {pos + 1} 个要素是 {g.geom_type}，不是面（Polygon）",
                               f"Feature {pos + 1} is a {g.geom_type}, not a polygon", code="not-polygon")
        if not g.is_valid:
            g = union_parcels(polys)
        attrs = gdf.iloc[pos].drop(labels=[geom_col]).to_dict()
        labels.append(_label_of(attrs, pos, label_field))
        geoms.append(g)
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
                           feature=None if feature is None else rows[0] + 1)


def normalize_parcels(parcels: Iterable[Any] | None, geometry: BaseGeometry | None) -> list[dict[str, Any]]:
    """``[{label, geometry}]`` from a Proposal's ``parcels`` (dicts, (label, geom) pairs, or geometries).

    Without parcels, each polygon part of ``geometry`` is a parcel (地块1, 地块2 …).
    GeoJSON mappings are accepted for geometries.
    """
    out: list[dict[str, Any]] = []
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
            out.append({"label": label, "geometry": g if g.is_valid else union_parcels([g])})
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


__all__ = ["LABEL_FIELDS", "ProposalParcels", "normalize_parcels", "parcel_breakdown", "parcel_label", "parcels_to_json",
           "proposal_from_frame", "union_parcels", "unique_labels"]
