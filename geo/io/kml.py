"""KML reading and writing: Placemarks, Polygons (outer/inner boundaries), MultiGeometry and ExtendedData.

Reading (:func:`parse_kml`): a small :mod:`xml.etree` reader, because GDAL's
LIBKML driver mangles Chinese ExtendedData field names; GDAL's KML/LIBKML
driver (:func:`read_kml_gdal`) is only a fallback.  DTD/entity declarations
are refused (XXE, billion laughs).

Writing (:func:`format_kml`): KML 2.2 of polygon features (lon/lat, 9
decimals), attributes in ExtendedData, one style per ``part`` value; GDAL's
KML driver is not used for the same reason (Chinese field names).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import LinearRing, LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.area import polygon_parts
from geo.crs import EPSG_WGS84, to_cgcs2000
from geo.errors import ParkmapError

# Columns GDAL's LIBKML driver adds that carry no planning information.
_KML_NOISE = ("id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
              "visibility", "drawOrder", "icon", "snippet")

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in elem if _local(c.tag) == name), None)


def _descendants(elem: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in elem.iter() if _local(e.tag) == name]


def parse_kml_coordinates(text: str | None) -> list[tuple[float, float]]:
    """Parse a KML ``<coordinates>`` text (``lon,lat[,alt] …``)."""
    out: list[tuple[float, float]] = []
    for token in (text or "").split():
        parts = token.split(",")
        if len(parts) < 2:
            raise ParkmapError(f"KML 坐标 “{token}” 格式错误", f"Malformed KML coordinate '{token}'", code="malformed")
        try:
            out.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise ParkmapError(f"KML 坐标 “{token}” 不是数字", f"KML coordinate '{token}' is not numeric",
                               code="malformed") from None
    return out


def _kml_ring(boundary: ET.Element | None) -> list[tuple[float, float]] | None:
    if boundary is None:
        return None
    coords = _descendants(boundary, "coordinates")
    return parse_kml_coordinates(coords[0].text) if coords else None


def _kml_polygon(elem: ET.Element) -> Polygon | None:
    shell = _kml_ring(_child(elem, "outerBoundaryIs"))
    if not shell or len(shell) < 3:
        return None
    holes = [h for h in (_kml_ring(b) for b in elem if _local(b.tag) == "innerBoundaryIs") if h and len(h) >= 3]
    return Polygon(shell, holes)


def kml_placemark_geometry(pm: ET.Element) -> BaseGeometry | None:
    """Geometry of a Placemark: its polygons, else its lines/points."""
    polys = [p for p in (_kml_polygon(e) for e in _descendants(pm, "Polygon")) if p is not None]
    if polys:
        return polys[0] if len(polys) == 1 else MultiPolygon(polys)
    others: list[BaseGeometry] = []
    for e in _descendants(pm, "LineString") + _descendants(pm, "LinearRing"):
        node = _child(e, "coordinates")
        coords = parse_kml_coordinates(node.text if node is not None else "")
        if len(coords) >= 2:
            others.append(LineString(coords))
    for e in _descendants(pm, "Point"):
        node = _child(e, "coordinates")
        coords = parse_kml_coordinates(node.text if node is not None else "")
        if coords:
            others.append(Point(coords[0]))
    if not others:
        return None
    return others[0] if len(others) == 1 else shapely.GeometryCollection(others)


def _kml_attrs(pm: ET.Element, folder: str | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key in ("name", "description"):
        node = _child(pm, key)
        attrs[key] = node.text.strip() if node is not None and node.text else None
    if folder is not None:
        attrs["folder"] = folder
    for data in _descendants(pm, "Data"):
        value = _child(data, "value")
        attrs[data.get("name", "")] = value.text if value is not None else None
    for data in _descendants(pm, "SimpleData"):
        attrs[data.get("name", "")] = data.text
    return attrs


def parse_kml(data: bytes) -> gpd.GeoDataFrame:
    """Parse KML bytes into a WGS84 GeoDataFrame (one row per Placemark).

    Columns: ``name``, ``description``, ``folder`` (when in a Folder) and
    ExtendedData fields.  DTD/entity declarations are refused.
    """
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise ParkmapError("KML 文件包含 DTD/实体声明，已拒绝", "The KML contains DTD/entity declarations; refused",
                           code="malformed")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ParkmapError(f"KML 不是有效的 XML（{exc}）", f"The KML is not valid XML ({exc})", code="malformed") from exc
    rows: list[dict[str, Any]] = []
    geoms: list[BaseGeometry | None] = []

    def walk(elem: ET.Element, folder: str | None) -> None:
        for child in elem:
            tag = _local(child.tag)
            if tag == "Placemark":
                rows.append(_kml_attrs(child, folder))
                geoms.append(kml_placemark_geometry(child))
            elif tag in ("Folder", "Document"):
                name = _child(child, "name")
                sub = name.text.strip() if tag == "Folder" and name is not None and name.text else folder
                walk(child, sub)

    walk(root, None)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=EPSG_WGS84)


def read_kml_gdal(path: Path) -> gpd.GeoDataFrame:
    """Read every layer of a KML/KMZ with GDAL (LIBKML or KML driver), dropping styling columns."""
    frames = [pyogrio.read_dataframe(path, layer=str(name)) for name, _ in pyogrio.list_layers(path)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame(geometry=[], crs=EPSG_WGS84)
    gdf = pd.concat(frames, ignore_index=True)
    gdf = gdf.drop(columns=[c for c in _KML_NOISE if c in gdf.columns])
    return gdf.rename(columns={"Name": "name", "Description": "description"})


def kml_gdal_driver() -> str | None:
    """Name of the GDAL KML driver available to pyogrio (LIBKML preferred)."""
    drivers = pyogrio.list_drivers()
    return next((d for d in ("LIBKML", "KML") if d in drivers), None)


_PLACEMARK = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Placemark[\s>/]")


def count_placemarks(data: bytes) -> int:
    """Number of ``<Placemark>`` start tags in KML bytes (with or without a namespace prefix), without parsing."""
    return len(_PLACEMARK.findall(data))


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------
def format_kml(gdf: gpd.GeoDataFrame, name: str = "parkmap", *, styles: Mapping[str, Mapping[str, Any]] | None = None,
               default_style: Mapping[str, Any] | None = None) -> bytes:
    """KML 2.2 of polygon features (lon/lat, 9 decimals), attributes in ExtendedData, one style per ``part``.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygon features in any CRS (written in EPSG:4490 lon/lat).  Every
        column but the geometry goes to ExtendedData; the Placemark's name is
        ``part_zh`` or ``part``.
    name : str
        The Document's name.
    styles : mapping, optional
        ``part`` value → Leaflet-like style (``color``, ``opacity``,
        ``weight``, ``fillColor``, ``fillOpacity``); a part not listed gets
        ``default_style``.  Only used when ``gdf`` has a ``part`` column.

    Returns
    -------
    bytes
        The UTF-8 document with its XML declaration.
    """
    styles = styles or {}
    default_style = default_style or {}
    ns = "http://www.opengis.net/kml/2.2"
    ET.register_namespace("", ns)

    def q(tag: str) -> str:
        return f"{{{ns}}}{tag}"

    root = ET.Element(q("kml"))
    doc = ET.SubElement(root, q("Document"))
    ET.SubElement(doc, q("name")).text = name
    data = to_cgcs2000(gdf)
    for part in dict.fromkeys(data.get("part", [])):
        st = styles.get(part, default_style)
        s = ET.SubElement(doc, q("Style"), id=_kml_style_id(part))
        ls = ET.SubElement(s, q("LineStyle"))
        ET.SubElement(ls, q("color")).text = _kml_color(st.get("color", "#000000"), st.get("opacity", 1.0))
        ET.SubElement(ls, q("width")).text = f"{st.get('weight', 2):g}"
        ps = ET.SubElement(s, q("PolyStyle"))
        ET.SubElement(ps, q("color")).text = _kml_color(st.get("fillColor", st.get("color", "#000000")),
                                                        st.get("fillOpacity", 0.3))
    cols = [c for c in data.columns if c != data.geometry.name]
    for (_, row), geom in zip(data.iterrows(), data.geometry):
        pm = ET.SubElement(doc, q("Placemark"))
        ET.SubElement(pm, q("name")).text = str(row.get("part_zh") or row.get("part") or "")
        if "part" in row:
            ET.SubElement(pm, q("styleUrl")).text = f"#{_kml_style_id(row['part'])}"
        ext = ET.SubElement(pm, q("ExtendedData"))
        for c in cols:
            d = ET.SubElement(ext, q("Data"), name=str(c))
            ET.SubElement(d, q("value")).text = "" if row[c] is None else str(row[c])
        _kml_write_geometry(pm, geom, q)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8")  # bytes for any encoding but "unicode"
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _kml_style_id(part: str) -> str:
    return "s_" + "".join(ch if ch.isalnum() else "_" for ch in str(part))


def _kml_color(hex_color: str, alpha: float) -> str:
    """KML ``aabbggrr`` of a CSS colour and an opacity."""
    from matplotlib.colors import to_rgba

    r, g, b, _ = to_rgba(hex_color)
    return "".join(f"{int(round(v * 255)):02x}" for v in (max(0.0, min(1.0, alpha)), b, g, r))


def _kml_write_ring(parent: ET.Element, tag: str, ring: LinearRing, q: Callable[[str], str]) -> None:
    lr = ET.SubElement(ET.SubElement(parent, q(tag)), q("LinearRing"))
    ET.SubElement(lr, q("coordinates")).text = " ".join(f"{x:.9f},{y:.9f}" for x, y in np.asarray(ring.coords)[:, :2])


def _kml_write_geometry(pm: ET.Element, geom: BaseGeometry, q: Callable[[str], str]) -> None:
    polys = polygon_parts(geom)
    parent = ET.SubElement(pm, q("MultiGeometry")) if len(polys) > 1 else pm
    for p in polys:
        el = ET.SubElement(parent, q("Polygon"))
        _kml_write_ring(el, "outerBoundaryIs", p.exterior, q)
        for hole in p.interiors:
            _kml_write_ring(el, "innerBoundaryIs", hole, q)


__all__ = ["count_placemarks", "format_kml", "kml_gdal_driver", "kml_placemark_geometry", "parse_kml",
           "parse_kml_coordinates", "read_kml_gdal"]
