"""AppTest: an invalid uploaded parcel is a bilingual error until 自动修复无效地块 is ticked (issue 9)."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Polygon

from geo.area import buffer_m
from geo.dataset import load_layer
from geo.io.jzd_txt import format_jzd_text

ZONE = "S517077"  # 射洪经开区


def _bowtie_txt() -> bytes:
    """A 界址点 TXT of a 600 m square next to the zone's park with its 3rd and 4th points swapped."""
    park = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0]
    x0, y0, x1, y1 = buffer_m(park, 300).bounds
    square = gpd.GeoDataFrame({"地块名称": ["蝴蝶地块"]}, geometry=[Polygon([(x1, y0), (x1 + 0.006, y0),
                                                                       (x1 + 0.006, y0 + 0.006), (x1, y0 + 0.006)])],
                              crs="EPSG:4490")
    text = format_jzd_text(square)
    lines = text.split("\r\n")
    j = [i for i, ln in enumerate(lines) if ln.startswith("J")]
    lines[j[2]], lines[j[3]] = lines[j[3]], lines[j[2]]  # out of order: a bow-tie
    return "\r\n".join(lines).encode("gbk")


def test_invalid_upload_is_refused_until_repair_is_ticked(at):
    at.file_uploader(key=f"upload{at.session_state['upload_epoch']}").set_value(
        ("bow.txt", _bowtie_txt(), "text/plain")).run()
    errors = [e.value for e in at.error]
    assert errors and "蝴蝶地块" in errors[0] and " / " in errors[0] and "自动修复无效地块" in errors[0]  # the hint names the box
    assert at.session_state["wf"].geometry is None  # nothing to check

    at.checkbox(key="check_repair").check().run()
    w = at.session_state["wf"]
    assert w.repair and w.geometry is not None and w.repairs and w.repairs[0]["label"] == "蝴蝶地块"
    assert not [e.value for e in at.error]
    assert any("修复前面积" in m.value for m in at.warning)

    at.selectbox(key="check_zone").set_value(ZONE).run()
    at.button(key="run_check").click().run()
    result = at.session_state["wf"].result
    assert result is not None and result.repair["parcels"][0]["label"] == "蝴蝶地块"
    assert result.repair["area_after_m2"] < 0.75 * result.repair["parcels"][0].get("declared_area_m2", 0)

    at.checkbox(key="check_repair").uncheck().run()  # unticked: the repaired parcels leave, the error is back
    assert at.session_state["wf"].geometry is None
    assert any("蝴蝶地块" in e.value for e in at.error)


def test_mislabelled_official_layer_is_refused_in_the_app(at, tmp_path):
    """An official 永久基本农田 zip whose .prj names the wrong 3° zone (~290 km off) is refused with the CRS hint."""
    import zipfile

    park = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0]
    counties = load_layer("counties")
    county = counties[counties.geometry.covers(park.representative_point())].iloc[0]
    farm = gpd.GeoDataFrame({"XZQDM": [county["adcode"]] * 3}, crs="EPSG:4490",
                            geometry=[buffer_m(park, 300 + 100 * i).difference(buffer_m(park, 250 + 100 * i))
                                      for i in range(3)])
    shp = tmp_path / "永久基本农田.shp"
    farm.to_crs(4544).set_crs(4545, allow_override=True).to_file(shp, engine="pyogrio", encoding="UTF-8")
    data = tmp_path / "永久基本农田.zip"
    with zipfile.ZipFile(data, "w") as zf:
        for part in tmp_path.glob("永久基本农田.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    at.file_uploader(key="official_upload0").set_value(("永久基本农田.zip", data.read_bytes(), "application/zip")).run()
    errors = [e.value for e in at.error]
    assert errors and "永久基本农田" in errors[0] and "4545" in errors[0] and " / " in errors[0]
    assert at.session_state["wf"].official_dir is None  # not used for checks
