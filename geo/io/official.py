"""Reading official control layers (``parkmap check --layers DIR``, the app's 官方图层).

:func:`find_layer_files` matches the files of a folder to control layers by
file stem (:func:`layer_stems`, the 三区三线 pinyin codes included);
:func:`read_control_layer` reads one with :func:`geo.io.read_vector` (rivers
through :func:`geo.validate.validate_lines`), under the official-layer caps;
:func:`read_official_layer` also checks that the features lie in the county
they name (:mod:`geo.placement`).  :class:`geo.check.ControlIndex` indexes
what these return.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geo.controls import control_layers
from geo.errors import ParkmapError
from geo.validate import validate_lines

def layer_stems() -> dict[str, tuple[str, ...]]:
    """Control layers that ``--layers DIR`` may replace, with the accepted file stems.

    Read from :func:`geo.controls.control_layers` at call time (case-insensitive;
    a stem may carry a suffix after ``_``/``-``/``.``/space, e.g.
    ``farmland_2023.shp``).  The pinyin initials are the usual 三区三线 names.
    """
    return {k: v.stems for k, v in control_layers().items()}


#: The built-in layers' stems (:func:`layer_stems` also holds registered ones).
LAYER_STEMS: dict[str, tuple[str, ...]] = layer_stems()
#: File types read from ``--layers DIR``.
LAYER_SUFFIXES: tuple[str, ...] = (".gpkg", ".shp", ".geojson", ".json", ".zip", ".kml", ".kmz")


def _stem_key(stem: str) -> str | None:
    s = stem.strip().casefold()
    if s.endswith(".shp"):  # farmland.shp.zip
        s = s[:-4]
    for key, names in layer_stems().items():
        for n in names:
            n = n.casefold()
            if s == n or (s.startswith(n) and s[len(n)] in "_-. "):
                return key
    return None


def find_layer_files(directory: str | Path) -> tuple[dict[str, Path], list[str]]:
    """Match the files of a ``--layers`` folder to control layers by file stem.

    Returns
    -------
    (found, ignored)
        ``found``: layer key → file; ``ignored``: names of supported files
        whose stem matched no layer (shapefile sidecars are skipped silently).

    Raises
    ------
    ParkmapError
        Folder missing, two files for one layer, or no recognised file.
    """
    d = Path(directory)
    if not d.is_dir():
        raise ParkmapError(f"图层文件夹不存在：{d}", f"Layers folder not found: {d}", code="layers")
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for p in sorted(d.iterdir()):
        if p.name.startswith(".") or p.suffix.lower() not in LAYER_SUFFIXES:
            continue
        key = _stem_key(p.stem)
        if key is not None and not p.is_file():  # a device, FIFO or folder named like a layer: refused, not skipped
            from geo.io.guard import naming_file, require_regular_file

            try:
                require_regular_file(p)
            except ParkmapError as err:
                raise naming_file(err, p, "管控图层文件", "Control layer file") from err
        if not p.is_file():
            continue
        if key is None:
            ignored.append(p.name)
            continue
        if key in found:
            raise ParkmapError(f"图层 {key} 对应多个文件：{found[key].name}、{p.name}",
                               f"Several files for layer {key}: {found[key].name}, {p.name}",
                               "每个图层只保留一个文件 / keep one file per layer", code="layers")
        found[key] = p
    if not found:
        names = "; ".join(f"{k}: {'/'.join(v)}" for k, v in layer_stems().items())
        raise ParkmapError(f"文件夹 {d} 中没有可识别的管控图层文件",
                           f"No control-layer file recognised in {d}",
                           f"文件名（不含扩展名）应为 / file stems must be {names}; 格式 formats {' '.join(LAYER_SUFFIXES)}",
                           code="layers")
    return found, ignored


def read_control_layer(key: str, path: str | Path, **read_kwargs: Any) -> Any:
    """Read one official control layer with :func:`geo.io.read_vector`.

    Polygon layers are validated as usual; ``rivers`` takes the lines-allowed
    path (:func:`geo.validate.validate_lines`) because ``read_vector`` validates polygons.
    The official-layer caps apply (``PARKMAP_MAX_LAYER_FEATURES`` /
    ``PARKMAP_MAX_LAYER_VERTICES``, :func:`geo.limits.layer_caps`) unless
    ``limits`` is given, and every error names the layer file.

    Returns
    -------
    geo.io.ReadResult
    """
    from geo.io.archive import ReadLimits
    from geo.io.guard import naming_file
    from geo.io.read import read_vector
    from geo.limits import layer_caps

    layer = control_layers().get(key)
    if layer is None:
        raise ParkmapError(f"未知的管控图层 {key}", f"Unknown control layer {key}", code="layers")
    try:
        read_kwargs.setdefault("limits", ReadLimits(caps=layer_caps()))
        if layer.kind == "line":
            res = read_vector(path, validate=False, **read_kwargs)
            res.gdf, more = validate_lines(res.gdf, res.source_crs)
            res.warnings = res.warnings + more
            return res
        return read_vector(path, **read_kwargs)
    except ParkmapError as err:
        raise naming_file(err, path, "管控图层文件", "Control layer file") from err


def read_official_layer(key: str, path: str | Path) -> Any:
    """Read an official layer (:func:`read_control_layer`) and check that it lies where it says.

    A layer whose features mostly lie outside the county of their 行政区代码
    (XZQDM) / 行政区名称 (XZQMC) is refused; see :mod:`geo.placement`.

    Returns
    -------
    geo.io.ReadResult
        With placement warnings added.
    """
    from geo.placement import check_official_placement

    res = read_control_layer(key, path)
    res.warnings = res.warnings + check_official_placement(res.gdf, path)
    return res


__all__ = ["LAYER_STEMS", "LAYER_SUFFIXES", "find_layer_files", "layer_stems", "read_control_layer", "read_official_layer"]
