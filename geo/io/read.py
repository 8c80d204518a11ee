"""Read any supported vector file into lon/lat CGCS2000 (EPSG:4490).

Supported inputs
----------------
* GeoPackage ``.gpkg`` — the ``layer`` argument, else the first polygon
  layer (a warning names the other polygon layers).
* GeoJSON ``.geojson`` / ``.json`` — UTF-8, or GBK/GB18030 (detected).
  RFC 7946 says WGS84, but GDAL's implied WGS84 is ignored (with a warning)
  when the numbers are clearly projected metres.
* KML ``.kml`` / KMZ ``.kmz`` — always WGS84 lon/lat.  Parsed with a small
  ``xml.etree`` reader (Placemark / Polygon / outer- and innerBoundaryIs /
  MultiGeometry, ExtendedData) because GDAL's LIBKML driver mangles Chinese
  ExtendedData field names; GDAL's KML/LIBKML driver is only a fallback.
* Shapefile ``.shp`` (with sidecars) or zipped ``.zip`` (also in sub-folders).
  A zip with several shapefiles: all *polygon* shapefiles are read and
  concatenated (column ``_source`` = path inside the zip); non-polygon ones
  are skipped with a warning; if none is polygonal the first is read (and
  validation reports it).  A zip without shapefiles: the first other
  supported file inside is read.
* 界址点 TXT ``.txt`` (see :mod:`geo.io.jzd_txt`).

Shapefile attribute encoding: ``encoding`` argument, else the ``.cpg`` (if
the DBF bytes really decode with it), else detected from the raw DBF string
bytes (field names and character fields): strict UTF-8, else GBK, else
GB18030.  CRS: argument ``crs`` (trusted), else the file's own (.prj,
GeoPackage, GeoJSON), else :func:`geo.crs.detect_crs` on the coordinates.

EPSG:4490 and EPSG:4326 are treated as equivalent (< 1 m in Sichuan).

Limits (:mod:`geo.io.guard`, :mod:`geo.limits`): only regular files are
opened (a link to ``/dev/zero`` or a FIFO is refused without opening it), and
read with a byte cap; features are counted before geometries are built
(``pyogrio.read_info``, ``<Placemark>`` tags) and vertices right after, against
``PARKMAP_MAX_FEATURES`` / ``PARKMAP_MAX_VERTICES``; archives are extracted into
folders that are always removed (:func:`geo.io.archive.extraction_dir`).
KML parsing lives in :mod:`geo.io.kml`, attribute encodings in
:mod:`geo.io.encoding`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj
import shapely

from geo.crs import EPSG_WGS84, DetectedCRS, detect_crs, to_cgcs2000
from geo.errors import ParkmapError, bilingual
from geo.io.archive import (
    DEFAULT_LIMITS,
    ReadLimits,
    check_file_size,
    extraction_dir,
    safe_extract_zip,
)
from geo.io.encoding import (  # noqa: F401  (codec_name etc. re-exported: tests and callers import them from here)
    codec_name,
    dbf_text_samples,
    detect_bytes_encoding,
    find_sidecar,
    recode_latin1_frame,
    recode_text,
    shapefile_encoding,
)
from geo.io.guard import (
    GPKG_SIDECARS,
    SHAPEFILE_SIDECARS,
    check_coordinates,
    check_feature_count,
    check_vertex_count,
    read_bytes_capped,
    read_head,
    require_regular_file,
    require_regular_sidecars,
)
from geo.io.jzd_txt import decode_text, read_jzd_txt
from geo.io.kml import (  # noqa: F401  (parse_kml etc. re-exported: tests and callers import them from here)
    count_placemarks,
    kml_gdal_driver,
    kml_placemark_geometry,
    parse_kml,
    parse_kml_coordinates,
    read_kml_gdal,
)
from geo.limits import CountCaps
from geo.validate import SICHUAN_BBOX, require_features, validate_polygons

_read_kml_gdal = read_kml_gdal  # old private name, kept for callers

#: File suffix → reader kind.
SUPPORTED_SUFFIXES: dict[str, str] = {
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".kml": "kml",
    ".kmz": "kmz",
    ".shp": "shp",
    ".zip": "zip",
    ".txt": "txt",
}


@dataclass
class ReadResult:
    """Outcome of :func:`read_vector`.

    Attributes
    ----------
    gdf : GeoDataFrame
        Features in EPSG:4490 (lon/lat), 2-D, validated unless disabled.
    source_crs : DetectedCRS
        CRS of the file and how it was determined.
    encoding : str or None
        Text encoding of attributes (Python codec name), None if not
        applicable (GeoPackage, KML).
    warnings : list of str
        Bilingual warnings ("中文 / English").
    driver : str
        Reader used (``"GPKG"``, ``"GeoJSON"``, ``"KML"``, ``"ESRI Shapefile"``,
        ``"JZD-TXT"``).
    layers : list of str
        Layers / archive members read.
    """

    gdf: gpd.GeoDataFrame
    source_crs: DetectedCRS
    encoding: str | None
    warnings: list[str] = field(default_factory=list)
    driver: str = ""
    layers: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------
def _check_counts(gdf: gpd.GeoDataFrame, caps: CountCaps, name: str) -> None:
    """Refuse a read frame over the feature or vertex caps."""
    check_feature_count(len(gdf), caps, name)
    check_vertex_count(gdf.geometry.values, caps, name)


def _finish_crs(gdf: gpd.GeoDataFrame, crs: str | int | None, warnings: list[str], name: str,
                caps: CountCaps) -> tuple[gpd.GeoDataFrame, DetectedCRS]:
    """Check the counts and coordinates of a freshly read frame, determine its CRS and reproject to EPSG:4490."""
    require_features(gdf)
    _check_counts(gdf, caps, name)
    coords = shapely.get_coordinates(gdf.geometry.values)
    check_coordinates(coords, name)
    if crs is not None:
        detected = detect_crs(coords[:, 0], coords[:, 1], declared=crs, source="user")
    elif gdf.crs is not None:
        detected = detect_crs(coords[:, 0], coords[:, 1], declared=gdf.crs, source="declared")
    else:
        detected = detect_crs(coords[:, 0], coords[:, 1])
    if detected.warning:
        warnings.append(detected.warning)
    out = gdf.set_crs(detected.to_crs(), allow_override=True)
    out = to_cgcs2000(out)
    out = out.set_geometry(shapely.force_2d(out.geometry.values))
    return out, detected


def _is_polygon_type(geometry_type: str | None) -> bool:
    return bool(geometry_type) and "polygon" in str(geometry_type).lower()


# --------------------------------------------------------------------------
# Per-format readers: each returns an unvalidated ReadResult in EPSG:4490
# --------------------------------------------------------------------------


def _require_shapefile_parts(shp: Path, shown: str) -> None:
    """Refuse a shapefile whose companions are not regular files or whose .shx/.dbf is missing.

    ``shown`` is the name the user knows (``r.zip/r.shp`` inside an archive), never a temporary path.
    """
    require_regular_sidecars(shp, SHAPEFILE_SIDECARS)
    for ext in (".shx", ".dbf"):
        if find_sidecar(shp, ext) is None:
            raise ParkmapError(
                f"shapefile “{shown}” 缺少 {ext} 文件",
                f"Shapefile '{shown}' is missing its {ext} file",
                "请把 .shp .shx .dbf .prj（.cpg）一起打包上传 / upload .shp, .shx, .dbf, .prj (.cpg) together, e.g. as a zip",
                code="shapefile-incomplete",
            )


def _prj_warning(shp: Path, shown: str, declared: object) -> str | None:
    """A warning when the .prj exists but does not define a CRS (GDAL then ignores it silently)."""
    prj = find_sidecar(shp, ".prj")
    if prj is None:
        return None
    text = read_head(prj, 256 * 1024).decode("utf-8", errors="replace").strip()
    ok = declared is not None
    if not ok and text:
        try:
            pyproj.CRS.from_user_input(text)
            ok = True
        except pyproj.exceptions.CRSError:
            ok = False
    if ok:
        return None
    return bilingual(f"{shown} 的 .prj 文件（{prj.name}）不是有效的坐标系定义，已忽略；坐标系根据坐标数值判断，"
                     "请核对或用 --crs 指定",
                     f"The .prj file of {shown} ({prj.name}) is not a valid CRS definition and was ignored; the CRS "
                     "was inferred from the coordinates: check it, or pass --crs")


def _read_shapefile(shp: Path, crs: str | int | None, encoding: str | None, limits: ReadLimits,
                    shown: str | None = None) -> ReadResult:
    shown = shown or shp.name
    caps = limits.count_caps()
    _require_shapefile_parts(shp, shown)
    enc, warnings = shapefile_encoding(shp, encoding)
    check_feature_count(int(pyogrio.read_info(shp, encoding="latin1").get("features", -1)), caps, shown)
    # Read bytes 1:1 as Latin-1, then decode ourselves: GDAL truncates long
    # field names at 10 *bytes*, which can split a UTF-8/GBK character and
    # makes a strict decode (pyogrio's own) fail.
    gdf = recode_latin1_frame(pyogrio.read_dataframe(shp, encoding="latin1", max_features=caps.max_features + 1), enc)
    if crs is None:
        if find_sidecar(shp, ".prj") is None:
            warnings.append(bilingual(f"{shown} 没有 .prj 文件，坐标系根据坐标数值判断",
                                      f"{shown} has no .prj file; the CRS was inferred from the coordinates"))
        elif (prj_warning := _prj_warning(shp, shown, gdf.crs)) is not None:
            warnings.append(prj_warning)
    gdf, detected = _finish_crs(gdf, crs, warnings, shown, caps)
    return ReadResult(gdf, detected, enc, warnings, "ESRI Shapefile", [shp.name])


def _pick_gpkg_layer(path: Path, layer: str | None, warnings: list[str]) -> str:
    layers = [(str(n), None if t is None else str(t)) for n, t in pyogrio.list_layers(path)]
    names = [n for n, _ in layers]
    if not layers:
        raise ParkmapError("GeoPackage 中没有图层", "The GeoPackage contains no layers", code="empty")
    if layer is not None:
        if layer not in names:
            raise ParkmapError(f"GeoPackage 中没有图层 “{layer}”（现有：{', '.join(names)}）",
                               f"The GeoPackage has no layer '{layer}' (available: {', '.join(names)})", code="layer")
        return layer
    polys = [n for n, t in layers if _is_polygon_type(t)]
    if len(polys) > 1:
        warnings.append(bilingual(f"GeoPackage 有多个面图层（{', '.join(polys)}），只读取了 “{polys[0]}”",
                                  f"The GeoPackage has several polygon layers ({', '.join(polys)}); only '{polys[0]}' was read"))
    spatial = [n for n, t in layers if t is not None]
    return polys[0] if polys else (spatial or names)[0]


def _read_gpkg(path: Path, crs: str | int | None, layer: str | None, limits: ReadLimits) -> ReadResult:
    warnings: list[str] = []
    caps = limits.count_caps()
    require_regular_sidecars(path, GPKG_SIDECARS)
    name = _pick_gpkg_layer(path, layer, warnings)
    check_feature_count(int(pyogrio.read_info(path, layer=name).get("features", -1)), caps, path.name)
    gdf = pyogrio.read_dataframe(path, layer=name, max_features=caps.max_features + 1)
    gdf, detected = _finish_crs(gdf, crs, warnings, path.name, caps)
    return ReadResult(gdf, detected, None, warnings, "GPKG", [name])


def _read_geojson(path: Path, crs: str | int | None, encoding: str | None, limits: ReadLimits) -> ReadResult:
    warnings: list[str] = []
    caps = limits.count_caps()
    text, enc = decode_text(read_bytes_capped(path, limits.max_file_bytes), encoding)
    data = text.encode("utf-8")
    del text
    check_feature_count(int(pyogrio.read_info(io.BytesIO(data)).get("features", -1)), caps, path.name)
    gdf = pyogrio.read_dataframe(io.BytesIO(data), max_features=caps.max_features + 1)
    if enc not in ("utf-8", "utf-8-sig", "ascii"):
        warnings.append(bilingual(f"GeoJSON 不是 UTF-8 编码，按 {enc} 读取", f"The GeoJSON is not UTF-8; read as {enc}"))
    gdf, detected = _finish_crs(gdf, crs, warnings, path.name, caps)
    return ReadResult(gdf, detected, enc, warnings, "GeoJSON", [path.name])


# -- KML ---------------------------------------------------------------------
def _read_kml(path: Path, crs: str | int | None, limits: ReadLimits, shown: str | None = None) -> ReadResult:
    warnings: list[str] = []
    shown = shown or path.name
    caps = limits.count_caps()
    data = read_bytes_capped(path, limits.max_file_bytes)
    check_feature_count(count_placemarks(data), caps, shown)  # before building any geometry
    gdf = parse_kml(data)
    del data
    driver = "KML"
    if (len(gdf) == 0 or gdf.geometry.isna().all()) and kml_gdal_driver():
        gdf = read_kml_gdal(path)
        driver = kml_gdal_driver() or "KML"
    gdf = gdf[gdf.geometry.notna()] if len(gdf) else gdf
    if crs is None:
        crs_used: str | int = EPSG_WGS84
        gdf, detected = _finish_crs(gdf, crs_used, warnings, shown, caps)
        detected = DetectedCRS(EPSG_WGS84, "kml-spec", "KML 规定为 WGS84 经纬度 / KML is always WGS84 lon/lat")
    else:
        gdf, detected = _finish_crs(gdf, crs, warnings, shown, caps)
    return ReadResult(gdf, detected, None, warnings, driver, [path.name])


def _read_kmz(path: Path, crs: str | int | None, limits: ReadLimits) -> ReadResult:
    with extraction_dir("kmz") as root:
        files = safe_extract_zip(path, root, limits)
        kmls = sorted((f for f in files if f.suffix.lower() == ".kml"), key=lambda f: (f.name.lower() != "doc.kml", str(f)))
        if not kmls:
            raise ParkmapError("KMZ 中没有 .kml 文件", "The KMZ contains no .kml file",
                               "KMZ 应包含 doc.kml，请在 Google Earth / 奥维中重新导出 / a KMZ must hold doc.kml: "
                               "export it again from Google Earth or Ovi", code="empty")
        rel = kmls[0].relative_to(root).as_posix()
        res = _read_kml(kmls[0], crs, limits, f"{path.name}/{rel}")
        res.layers = [rel]
        return res


# -- zip -----------------------------------------------------------------------
def _visible(p: Path, root: Path) -> bool:
    rel = p.relative_to(root).parts
    return not any(part.startswith(("__MACOSX", "._")) for part in rel)


def _read_zip(path: Path, crs: str | int | None, encoding: str | None, layer: str | None, limits: ReadLimits) -> ReadResult:
    with extraction_dir("zip") as root:
        files = [f for f in safe_extract_zip(path, root, limits) if _visible(f, root)]
        shps = sorted(f for f in files if f.suffix.lower() == ".shp")
        if shps:
            return _read_zipped_shapefiles(shps, root, crs, encoding, limits, path.name)
        others = sorted(f for f in files if SUPPORTED_SUFFIXES.get(f.suffix.lower()) not in (None, "zip", "shp"))
        if not others:
            raise ParkmapError(
                "压缩包中没有可读取的矢量文件（.shp / .gpkg / .geojson / .kml / .txt）",
                "The zip contains no supported vector file (.shp / .gpkg / .geojson / .kml / .txt)",
                code="empty",
            )
        res = _dispatch(others[0], crs, encoding, layer, limits)
        res.layers = [others[0].relative_to(root).as_posix()]
        return res


def _read_zipped_shapefiles(shps: list[Path], root: Path, crs: str | int | None, encoding: str | None,
                            limits: ReadLimits, zip_name: str) -> ReadResult:
    rels = {s: s.relative_to(root).as_posix() for s in shps}
    shown = {s: f"{zip_name}/{rels[s]}" for s in shps}
    infos = {}
    for s in shps:
        _require_shapefile_parts(s, shown[s])  # before GDAL names a temporary path
        infos[s] = pyogrio.read_info(s, encoding="latin1")
    polys = [s for s in shps if _is_polygon_type(infos[s].get("geometry_type"))]
    warnings: list[str] = []
    skipped = [rels[s] for s in shps if s not in polys]
    if skipped and polys:
        warnings.append(bilingual(f"跳过非面 shapefile：{', '.join(skipped)}", f"Skipped non-polygon shapefiles: {', '.join(skipped)}"))
    chosen = polys or shps[:1]
    check_feature_count(sum(max(0, int(infos[s].get("features", 0))) for s in chosen), limits.count_caps(), zip_name)
    results = [_read_shapefile(s, crs, encoding, limits, shown[s]) for s in chosen]
    if len(results) == 1:
        res = results[0]
        res.warnings = warnings + res.warnings
        res.layers = [rels[chosen[0]]]
        return res
    frames = []
    for s, res in zip(chosen, results):
        frames.append(res.gdf.assign(_source=rels[s]))
        warnings.extend(res.warnings)
    warnings.append(bilingual(f"合并了 {len(chosen)} 个面 shapefile", f"Merged {len(chosen)} polygon shapefiles"))
    encs = sorted({r.encoding for r in results if r.encoding})
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry=frames[0].geometry.name, crs=frames[0].crs)
    return ReadResult(merged, results[0].source_crs, ",".join(encs) or None, warnings, "ESRI Shapefile",
                      [rels[s] for s in chosen])


def _read_txt(path: Path, crs: str | int | None, encoding: str | None, limits: ReadLimits) -> ReadResult:
    gdf, detected, enc, warnings = read_jzd_txt(path, encoding=encoding, crs=crs, limits=limits)
    return ReadResult(gdf, detected, enc, warnings, "JZD-TXT", [path.name])


def _dispatch(path: Path, crs: str | int | None, encoding: str | None, layer: str | None, limits: ReadLimits) -> ReadResult:
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ParkmapError(
            f"不支持的文件类型 “{path.suffix or path.name}”",
            f"Unsupported file type '{path.suffix or path.name}'",
            "支持 .gpkg .geojson .json .kml .kmz .shp .zip .txt / supported: .gpkg .geojson .json .kml .kmz .shp .zip .txt",
            code="unsupported",
        )
    check_file_size(path, limits)  # a regular file (never opened otherwise) within the byte cap
    if kind == "gpkg":
        res = _read_gpkg(path, crs, layer, limits)
    elif kind == "geojson":
        res = _read_geojson(path, crs, encoding, limits)
    elif kind == "kml":
        res = _read_kml(path, crs, limits)
    elif kind == "kmz":
        res = _read_kmz(path, crs, limits)
    elif kind == "shp":
        res = _read_shapefile(path, crs, encoding, limits)
    elif kind == "zip":
        res = _read_zip(path, crs, encoding, layer, limits)
    else:
        res = _read_txt(path, crs, encoding, limits)
    _check_counts(res.gdf, limits.count_caps(), path.name)  # merged zips and TXT
    return res


def read_vector(
    path: str | Path,
    *,
    crs: str | int | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    validate: bool = True,
    bbox: tuple[float, float, float, float] | None = SICHUAN_BBOX,
) -> ReadResult:
    """Read a vector file into EPSG:4490 and validate it.

    Parameters
    ----------
    path : str or Path
        Input file (see module docstring for formats).
    crs : str or int, optional
        CRS of the coordinates (``4523``, ``"EPSG:4544"``...), overriding
        the file's declaration and detection.
    encoding : str, optional
        Attribute/text encoding, overriding detection.
    layer : str, optional
        GeoPackage layer.
    limits : ReadLimits
        File size, archive, feature and vertex limits (features and vertices:
        ``PARKMAP_MAX_FEATURES`` / ``PARKMAP_MAX_VERTICES`` unless
        ``limits.caps`` is set; see :mod:`geo.limits`).
    validate : bool
        Run :func:`geo.validate.validate_polygons` (default True).
    bbox : tuple or None
        Extent for validation (Sichuan by default; None disables).

    Returns
    -------
    ReadResult

    Raises
    ------
    ParkmapError
        For every problem with the input (GDAL errors are wrapped too):
        missing file, folder, not a regular file (device, FIFO, socket, or a
        link to one: refused without opening), too large, too many features
        or vertices, absurd coordinates, invalid content.
    """
    path = Path(path)
    require_regular_file(path)
    try:
        res = _dispatch(path, crs, encoding, layer, limits)
    except ParkmapError:
        raise
    except Exception as exc:  # GDAL, OS, parsing errors → bilingual message
        raise unreadable(path, exc) from exc
    if validate:
        res.gdf, more = validate_polygons(res.gdf, source_crs=res.source_crs, bbox=bbox)
        res.warnings = res.warnings + more
    return res


#: Paths the user never gave: extraction/upload folders and GDAL's in-memory files.
_PRIVATE_PATH = re.compile(r"(?:/vsimem/[^\s'\"]+)|(?:\S*?parkmap-(?:extract|zip|kmz|upload)-[^/\\\s'\"]+[/\\])")


def unreadable(path: Path, exc: BaseException) -> ParkmapError:
    """Wrap an unexpected library error in a bilingual "cannot read" error.

    Temporary extraction paths and GDAL ``/vsimem/`` names in the library's
    message are replaced by what the user knows (the file name).
    """
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    detail = _PRIVATE_PATH.sub(lambda m: path.name if m.group(0).startswith("/vsimem/") else "", detail)[:200]
    return ParkmapError(
        f"无法读取文件 {path.name}：{detail}",
        f"Cannot read file {path.name}: {type(exc).__name__}: {detail}",
        "请确认文件完整且格式正确，可在 GIS 软件中另存为 GeoPackage 再试 / "
        "check the file is complete and valid; re-save it as GeoPackage in a GIS and retry",
        code="unreadable",
    )
