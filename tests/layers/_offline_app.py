"""Minimal Streamlit page for tests/layers/test_offline_browser.py.

A folium map with a GeoJSON layer, Draw, Fullscreen, a LayerControl, a
folium.Icon marker (awesome-markers + glyphicon), a plain Leaflet marker and a branca colormap legend (which makes
st_folium add d3), passed through layers.assets.use_local_assets and shown with
st_folium. The test runs it with every non-loopback host unresolvable and
checks the map draws. PARKMAP_TEST_BASE_URL overrides the asset base URL.
"""

from __future__ import annotations

import os

# the test starts this file from a temporary copy: layers comes from the install
import branca.colormap
import folium
import folium.plugins
import streamlit as st
from streamlit_folium import st_folium

from layers.assets import use_local_assets

SQUARES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": f"园区{i}", "value": i / 3},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[
                    [103.8 + 0.25 * i, 30.4], [104.0 + 0.25 * i, 30.4],
                    [104.0 + 0.25 * i, 30.6], [103.8 + 0.25 * i, 30.6],
                    [103.8 + 0.25 * i, 30.4],
                ]],
            },
        }
        for i in range(4)
    ],
}


def build_map() -> folium.Map:
    m = folium.Map(location=[30.5, 104.2], zoom_start=9, tiles=None)
    cmap = branca.colormap.LinearColormap(["#2c7bb6", "#d7191c"], vmin=0, vmax=1, caption="示意指标")
    folium.GeoJson(
        SQUARES,
        name="开发区",
        style_function=lambda f: {"fillColor": cmap(f["properties"]["value"]), "color": "#333", "weight": 1, "fillOpacity": 0.6},
        tooltip=folium.GeoJsonTooltip(["name"]),
    ).add_to(m)
    folium.Marker([30.5, 104.2], tooltip="成都", icon=folium.Icon(color="red")).add_to(m)
    folium.Marker([30.5, 104.7], tooltip="默认图标").add_to(m)  # Leaflet's own L.Icon.Default
    cmap.add_to(m)
    folium.plugins.Draw().add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def page() -> None:
    st.title("parkmap offline map check")
    base = os.environ.get("PARKMAP_TEST_BASE_URL") or None  # None: /app/static/vendor under baseUrlPath
    m = use_local_assets(build_map(), base, strict=True)
    st_folium(m, height=480, use_container_width=True, key="offline_map", returned_objects=[])
    st.write("page-ready")


if __name__ == "__main__":  # `streamlit run` runs the file as __main__; the tests import build_map
    page()
