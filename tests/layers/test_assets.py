"""layers.assets and static/vendor: every asset folium needs is local."""

from __future__ import annotations

import hashlib
import json
import pickle
import posixpath
import re
import warnings
from pathlib import Path

import branca.colormap
import folium
import folium.plugins as plugins
import pytest

from layers import assets
from layers.assets import (
    ExternalAssetError,
    OfflineAssetWarning,
    external_urls,
    inline_assets,
    local_asset_map,
    manifest,
    use_local_assets,
    vendor_dir,
)

VENDOR = vendor_dir()

# the folium classes parkmap may put on a map; each CDN URL they name must
# have a local copy
SUPPORTED = [
    folium.Map,
    plugins.Draw,
    plugins.Fullscreen,
    plugins.MeasureControl,
    plugins.MiniMap,
    plugins.MousePosition,
    plugins.Search,
    plugins.GroupedLayerControl,
    plugins.FeatureGroupSubGroup,
    plugins.TreeLayerControl,
    plugins.MarkerCluster,
]
# hard-coded outside default_js: branca ColorMap.render and st_folium
EXTRA_URLS = [
    "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js",
    "https://d3js.org/d3.v4.min.js",
]

GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "成都高新区"},
            "geometry": {"type": "Polygon", "coordinates": [[[104, 30.5], [104.1, 30.5], [104.1, 30.6], [104, 30.5]]]},
        }
    ],
}


def _full_map() -> folium.Map:
    m = folium.Map(location=[30.6, 104.06], zoom_start=8)
    gj = folium.GeoJson(GEOJSON, name="开发区").add_to(m)
    fg = folium.FeatureGroup(name="园区").add_to(m)
    sub = plugins.FeatureGroupSubGroup(fg, name="子组").add_to(m)
    folium.Marker([30.6, 104.06], icon=folium.Icon(icon="info-sign")).add_to(sub)
    cluster = plugins.MarkerCluster().add_to(m)
    folium.Marker([30.7, 104.1], icon=folium.Icon(prefix="fa", icon="industry", angle=45)).add_to(cluster)
    plugins.Draw().add_to(m)
    plugins.Fullscreen().add_to(m)
    plugins.MeasureControl().add_to(m)
    plugins.MiniMap().add_to(m)
    plugins.MousePosition().add_to(m)
    plugins.Search(gj, search_label="name").add_to(m)
    branca.colormap.LinearColormap(["white", "red"], vmin=0, vmax=1).add_to(m)
    folium.LayerControl().add_to(m)
    return m


# --------------------------------------------------------------------------
# static/vendor itself
# --------------------------------------------------------------------------


def test_every_mapped_url_points_at_a_vendored_file():
    mapping = local_asset_map("/app/static/vendor")
    assert mapping
    for cdn, local in mapping.items():
        assert cdn.startswith("https://"), cdn
        assert local.startswith("/app/static/vendor/"), local
        path = VENDOR / local.removeprefix("/app/static/vendor/")
        assert path.is_file(), (cdn, path)
        assert path.stat().st_size > 0


@pytest.mark.parametrize("cls", SUPPORTED, ids=lambda c: c.__name__)
def test_supported_classes_are_fully_mapped(cls):
    mapping = local_asset_map()
    urls = [u for _, u in getattr(cls, "default_js", [])] + [u for _, u in getattr(cls, "default_css", [])]
    assert urls
    missing = [u for u in urls if u not in mapping]
    assert not missing, f"{cls.__name__}: add to scripts/vendor_assets.sh: {missing}"


def test_hard_coded_d3_links_are_mapped():
    assert all(u in local_asset_map() for u in EXTRA_URLS)


def test_manifest_matches_the_files():
    man = manifest()
    listed = {}
    for pkg in man["packages"]:
        assert pkg["name"] and pkg["version"] and pkg["license"], pkg
        assert pkg["license_files"], f"{pkg['dir']}: no licence file"
        for lic in pkg["license_files"]:
            assert (VENDOR / lic).is_file(), lic
        for f in pkg["files"]:
            listed[f["path"]] = f
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    assert on_disk - {"MANIFEST.json"} == set(listed), "stray or missing files in static/vendor"
    for rel, f in listed.items():
        data = (VENDOR / rel).read_bytes()
        assert len(data) == f["bytes"], rel
        assert hashlib.sha256(data).hexdigest() == f["sha256"], rel
    assert man["total_bytes"] == sum(f["bytes"] for f in listed.values())
    assert man["total_bytes"] < 3 * 1024 * 1024  # keep the vendored set small


def test_no_vendored_file_is_git_ignored():
    """A git-ignored asset would be missing from every fresh clone (CI, users)."""
    import shutil
    import subprocess

    root = VENDOR.parents[1]
    if not shutil.which("git") or not (root / ".git").exists():
        pytest.skip(f"needs git on PATH and a git checkout ({root / '.git'} missing or git not found)")
    paths = "\n".join(f"static/vendor/{f['path']}" for p in manifest()["packages"] for f in p["files"])
    r = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=root, input=paths + "\nstatic/vendor/MANIFEST.json\n",
                       capture_output=True, text=True)
    assert r.stdout.strip() == "", f"git-ignored: {r.stdout}"


def test_no_source_maps_or_sourcemap_comments():
    for p in VENDOR.rglob("*"):
        assert not p.name.endswith(".map"), p
        if p.suffix in (".js", ".css"):
            assert "sourceMappingURL" not in p.read_text(encoding="utf-8")[-300:], p


def test_css_url_refs_resolve_to_vendored_files():
    for css in VENDOR.rglob("*.css"):
        rel_dir = posixpath.dirname(css.relative_to(VENDOR).as_posix())
        for ref in re.findall(r"url\(\s*[\"']?([^\"')]+)", css.read_text(encoding="utf-8")):
            if ref.startswith(("data:", "#")):
                continue
            assert not ref.startswith(("http:", "https:", "//")), (css, ref)
            target = posixpath.normpath(posixpath.join(rel_dir, ref.split("?")[0].split("#")[0]))
            assert (VENDOR / target).is_file(), (css.name, ref)


def test_streamlit_config_enables_static_serving():
    import tomllib

    cfg = tomllib.loads((Path(assets.__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["enableStaticServing"] is True
    assert cfg["browser"]["gatherUsageStats"] is False


# --------------------------------------------------------------------------
# use_local_assets
# --------------------------------------------------------------------------


def test_use_local_assets_leaves_no_external_script_or_link():
    m = use_local_assets(_full_map(), strict=True)
    html = m.get_root().render()
    assert external_urls(html) == []
    srcs = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert srcs and all(u.startswith("/app/static/vendor/") for u in srcs), srcs
    # the tile layer is untouched (a tile server is the deployment's business)
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    # branca's colormap adds d3 straight to the header at render time
    assert '<script src="/app/static/vendor/d3@3.5.5/d3.min.js"></script>' in html


def test_classes_are_not_mutated():
    before = {c: (list(c.default_js), list(c.default_css)) for c in SUPPORTED}
    use_local_assets(_full_map(), "/x")
    for c, (js, css) in before.items():
        assert (list(c.default_js), list(c.default_css)) == (js, css), c
    # a fresh map still points at the CDN
    assert "cdn.jsdelivr.net" in folium.Map().get_root().render()


def test_elements_added_afterwards_are_localized_at_render():
    m = use_local_assets(folium.Map(tiles=None), "http://127.0.0.1:9/vendor", strict=True)
    plugins.MiniMap().add_to(m)
    plugins.Fullscreen().add_to(m)
    html = m.get_root().render()
    assert [u for u in external_urls(html) if not u.startswith("http://127.0.0.1:9/vendor/")] == []
    assert "http://127.0.0.1:9/vendor/leaflet-minimap@3.6.1/dist/Control.MiniMap.min.js" in html


def test_base_url_forms():
    assert local_asset_map()["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"] == (
        "/app/static/vendor/leaflet@1.9.3/dist/leaflet.js"
    )
    rel = local_asset_map("../../app/static/vendor/")
    assert rel["https://code.jquery.com/jquery-3.7.1.min.js"] == "../../app/static/vendor/jquery@3.7.1/dist/jquery.min.js"


def test_leaflet_image_path_runs_before_any_layer():
    m = use_local_assets(_full_map())
    first = next(iter(m._children.values()))
    assert isinstance(first, assets._LeafletImagePath)
    script = m.get_root().render()
    assert script.index("L.Icon.Default.imagePath = \"/app/static/vendor/leaflet@1.9.3/dist/images/\"") < script.index(
        "L.marker("
    )


def test_unknown_remote_asset_warns_or_raises():
    m = folium.Map(tiles=None)
    plugins.Geocoder().add_to(m)  # not vendored: needs the internet anyway
    with pytest.warns(OfflineAssetWarning, match="leaflet-control-geocoder"):
        use_local_assets(m)
    m2 = folium.Map(tiles=None)
    plugins.Geocoder().add_to(m2)
    with pytest.raises(ExternalAssetError, match="leaflet-control-geocoder"):
        use_local_assets(m2, strict=True)


def test_idempotent_and_picklable():
    m = folium.Map(tiles=None)
    folium.GeoJson(GEOJSON).add_to(m)
    use_local_assets(m, "/a")
    use_local_assets(m, "/b")
    html = m.get_root().render()
    assert "/a/leaflet" not in html and '<script src="/b/leaflet@1.9.3/dist/leaflet.js">' in html
    assert sum(isinstance(c, assets._LeafletImagePath) for c in m._children.values()) == 1
    again = pickle.loads(pickle.dumps(m))
    assert external_urls(again.get_root().render()) == []


def test_st_folium_gets_local_links_only():
    import streamlit_folium as sf

    calls = []

    def recorder(*args, **kwargs):
        calls.append(kwargs)
        return kwargs.get("default")

    original = sf._component_func
    sf._component_func = recorder
    try:
        m = use_local_assets(_full_map())  # wraps the recorder
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sf.st_folium(m, key="t", returned_objects=[])
    finally:
        sf._component_func = original
    (kw,) = calls
    links = kw["js_links"] + kw["css_links"]
    assert links and all(u.startswith("/app/static/vendor/") for u in links), links
    assert "/app/static/vendor/d3@4.13.0/d3.min.js" in kw["js_links"]  # st_folium's own d3 link
    assert "L.Icon.Default.imagePath" in kw["script"]


def test_st_folium_left_alone_without_use_local_assets():
    links = ["https://d3js.org/d3.v4.min.js", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"]
    assert assets._localize_link_list(links) == links


# --------------------------------------------------------------------------
# inline_assets / external_urls
# --------------------------------------------------------------------------


def test_inline_assets_is_self_contained():
    html = use_local_assets(_full_map()).get_root().render()
    out = inline_assets(html, strict=True)
    assert external_urls(out) == []
    assert "<script src=" not in out and 'rel="stylesheet"' not in out
    assert "Leaflet 1.9.3, a JS library" in out and 't.version="1.9.3"' in out  # leaflet.js itself
    assert "jQuery v3.7.1" in out
    assert "data:font/woff2;base64," in out  # glyphicons / font awesome
    assert "data:image/png;base64," in out  # awesome-markers sprite
    # no relative url() survived inside the inlined stylesheets
    for style in re.findall(r"<style>(.*?)</style>", out, flags=re.S):
        for ref in re.findall(r"url\(\s*[\"']?([^\"')]+)", style):
            assert ref.startswith(("data:", "#")), ref[:80]
    # the page's own code is kept
    assert "L.map(" in out and "L.geoJson(" in out


def test_inline_assets_from_cdn_links_too():
    out = inline_assets(folium.Map(tiles=None).get_root().render(), strict=True)
    assert external_urls(out) == []
    assert "Leaflet 1.9.3" in out


def test_inline_assets_leaves_unknown_links_with_a_warning():
    html = '<link rel="stylesheet" href="https://example.org/x.css"/><script src="https://example.org/y.js"></script>'
    with pytest.warns(OfflineAssetWarning):
        assert inline_assets(html) == html
    with pytest.raises(ExternalAssetError):
        inline_assets(html, strict=True)


def test_external_urls():
    html = """
    <script src="https://cdn.example/a.js"></script>
    <script src='/app/static/vendor/b.js'></script>
    <link rel="stylesheet" href="//cdn.example/c.css"/>
    <link rel="stylesheet" href="https://{s}.tile.example/{z}/{x}/{y}.png"/>
    <script>var t = L.tileLayer("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png");
            var s = '<script src="https://cdn.example/in-code.js"></script>';</script>
    """
    assert external_urls(html) == ["https://cdn.example/a.js", "//cdn.example/c.css"]


def test_manifest_json_is_valid_and_sorted_by_package():
    man = json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
    dirs = [p["dir"] for p in man["packages"]]
    assert len(dirs) == len(set(dirs))
    assert {"leaflet@1.9.3", "jquery@3.7.1", "bootstrap@5.2.2", "fontawesome-free@6.2.0"} <= set(dirs)
