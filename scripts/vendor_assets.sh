#!/usr/bin/env bash
# Re-fetch the JS/CSS/font/image assets that folium (and the plugins parkmap
# uses) would otherwise load from public CDNs, so the map renders on an
# intranet with no internet at all.
#
#   bash scripts/vendor_assets.sh            # rebuild static/vendor/
#   bash scripts/vendor_assets.sh --check    # rebuild into a temp dir and diff
#
# Every package is pinned (name, version and the registry's sha512 integrity).
# Packages come from the npm registry via `npm pack`; the one folium file that
# is on no npm package (leaflet.awesome.rotate css) comes from folium's sdist on
# PyPI (sha256 pinned). Only the dist files a browser needs are kept (no source
# maps, no ttf/eot/svg font fallbacks, no locales, no examples), plus each
# package's licence. The output is deterministic: re-running it on the same pins
# gives byte-identical files and MANIFEST.json.
#
# static/vendor/MANIFEST.json lists, per package: name, version, licence,
# source, integrity, the files (path, bytes, sha256) and `replaces`: the CDN
# URLs folium/streamlit-folium emit -> the local file. layers/assets.py reads
# that mapping; it is the single source of truth.
#
# Needs: npm, python3 with pip (PYTHON=... to choose). Network: npm registry + PyPI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# any Python >= 3.9 with pip (pip fetches folium's sdist): $PYTHON, the active
# virtualenv, the repository's .venv, else python3
PY="${PYTHON:-}"
for cand in "${VIRTUAL_ENV:+$VIRTUAL_ENV/bin/python}" "$ROOT/.venv/bin/python" python3; do
  [[ -n "$PY" ]] && break
  [[ -n "$cand" ]] && command -v "$cand" >/dev/null 2>&1 && PY="$cand"
done
export NPM_CONFIG_LOGLEVEL=error NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

exec "$PY" - "$ROOT" "$@" <<'PYEOF'
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(sys.argv[1])
CHECK = "--check" in sys.argv[2:]
DEST = ROOT / "static" / "vendor"

JSD = "https://cdn.jsdelivr.net"
CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"

# ---------------------------------------------------------------------------
# The pins. `files` lists paths inside the npm tarball (under package/), kept
# as they are under static/vendor/<dir>/ ((src, dst) pairs rename), `replaces`
# maps a CDN URL to a path under static/vendor/<dir>/.
# ---------------------------------------------------------------------------
PACKAGES = [
    dict(
        npm="leaflet", version="1.9.3", license="BSD-2-Clause",
        integrity="sha512-iB2cR9vAkDOu5l3HAay2obcUHZ7xwUBBjph8+PGtmW/2lYhbLizWtG7nTeYht36WfOslixQF9D/uSIzhZgGMfQ==",
        files=["dist/leaflet.js", "dist/leaflet.css", "dist/images/layers.png",
               "dist/images/layers-2x.png", "dist/images/marker-icon.png",
               "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png"],
        licenses=["LICENSE"],
        replaces={
            f"{JSD}/npm/leaflet@1.9.3/dist/leaflet.js": "dist/leaflet.js",
            f"{JSD}/npm/leaflet@1.9.3/dist/leaflet.css": "dist/leaflet.css",
        },
    ),
    dict(
        npm="jquery", version="3.7.1", license="MIT",
        integrity="sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
        files=["dist/jquery.min.js"], licenses=["LICENSE.txt"],
        replaces={
            "https://code.jquery.com/jquery-3.7.1.min.js": "dist/jquery.min.js",
            f"{CDNJS}/jquery/3.7.1/jquery.min.js": "dist/jquery.min.js",
        },
    ),
    dict(
        npm="bootstrap", version="5.2.2", license="MIT",
        integrity="sha512-dEtzMTV71n6Fhmbg4fYJzQsw1N29hJKO1js5ackCgIpDcGid2ETMGC6zwSYw09v05Y+oRdQ9loC54zB1La3hHQ==",
        files=["dist/js/bootstrap.bundle.min.js", "dist/css/bootstrap.min.css"],
        licenses=["LICENSE"],
        replaces={
            f"{JSD}/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": "dist/js/bootstrap.bundle.min.js",
            f"{JSD}/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": "dist/css/bootstrap.min.css",
        },
    ),
    dict(
        # folium links netdna's old "bootstrap/3.0.0/css/bootstrap-glyphicons.css"
        # (the glyphicon classes used by folium.Icon(prefix="glyphicon"), the
        # default). Bootstrap 3.0.0 is not on npm; 3.4.1's glyphicons are a
        # superset. We cut the @font-face + .glyphicon* rules out of 3.4.1's
        # bootstrap.css (the rest of Bootstrap 3 would clash with Bootstrap 5).
        npm="bootstrap", version="3.4.1", license="MIT",
        integrity="sha512-yN5oZVmRCwe5aKwzRj6736nSmKDX7pLYwsXiCj/EYmo16hODaBiT4En5btW/jhBF/seV+XMx3aYwukYC3A49DA==",
        files=["dist/fonts/glyphicons-halflings-regular.woff2",
               "dist/fonts/glyphicons-halflings-regular.woff"],
        generated={"dist/css/bootstrap-glyphicons.css": "glyphicons"},
        licenses=["LICENSE"],
        replaces={
            "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": "dist/css/bootstrap-glyphicons.css",
        },
    ),
    dict(
        npm="@fortawesome/fontawesome-free", dir="fontawesome-free@6.2.0",
        version="6.2.0", license="(CC-BY-4.0 AND OFL-1.1 AND MIT)",
        integrity="sha512-CNR7qRIfCwWHNN7FnKUniva94edPdyQzil/zCwk3v6k4R6rR2Fr8i4s3PM7n/lyfPA6Zfko9z5WDzFxG9SW1uQ==",
        # woff2 only: every browser Bootstrap 5 supports reads woff2; the ttf
        # fallbacks (650 KB) are dropped and their url()s cut from the CSS.
        files=["css/all.min.css", "webfonts/fa-brands-400.woff2",
               "webfonts/fa-regular-400.woff2", "webfonts/fa-solid-900.woff2",
               "webfonts/fa-v4compatibility.woff2"],
        licenses=["LICENSE.txt"],
        replaces={
            f"{JSD}/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": "css/all.min.css",
        },
    ),
    dict(
        # folium links cdnjs 2.0.2. npm has no 2.0.2 from upstream (lvoogdt);
        # 2.0.4's JS is byte-identical, its CSS adds .awesome-marker-square.
        npm="leaflet.awesome-markers", version="2.0.4", license="MIT",
        integrity="sha512-LWm2PlfwrF81xcV5VgCtnMWKvFG2dPKkFWgB58ynOPx+EQJ+3si5amtX/pI1RjlV8ivclhbjxVeNI87x+O1FuA==",
        files=["dist/leaflet.awesome-markers.js", "dist/leaflet.awesome-markers.css",
               "dist/images/markers-soft.png", "dist/images/markers-soft@2x.png",
               "dist/images/markers-shadow.png", "dist/images/markers-shadow@2x.png"],
        licenses=["LICENSE"],
        replaces={
            f"{CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": "dist/leaflet.awesome-markers.js",
            f"{CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": "dist/leaflet.awesome-markers.css",
        },
    ),
    dict(
        # Not on npm: folium serves it from its own GitHub tree. Taken from
        # folium's sdist on PyPI and whitespace-minified.
        pypi="folium", version="0.20.0", license="MIT",
        sha256="a0d78b9d5a36ba7589ca9aedbd433e84e9fcab79cd6ac213adbcff922e454cb9",
        generated={"leaflet.awesome.rotate.min.css": "rotate"},
        licenses=["LICENSE.txt"],
        replaces={
            f"{JSD}/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": "leaflet.awesome.rotate.min.css",
        },
    ),
    dict(
        npm="leaflet-draw", version="1.0.2", license="MIT",
        integrity="sha512-iCcbXE9okhwznoTXjxVjoGFoKeiWGsgmWPKrPAeHUvtWZWK4t6YF6815D13wZoMxX2UM6tOmD7/VofCxx3S0+w==",
        files=["dist/leaflet.draw.js", "dist/leaflet.draw.css",
               "dist/images/spritesheet.png", "dist/images/spritesheet-2x.png",
               "dist/images/spritesheet.svg"],
        # the npm package ships no licence file: write the MIT text with the
        # copyright line from the package's own header.
        generated={"LICENSE": "draw_license"},
        licenses=[],
        replaces={
            f"{CDNJS}/leaflet.draw/1.0.2/leaflet.draw.js": "dist/leaflet.draw.js",
            f"{CDNJS}/leaflet.draw/1.0.2/leaflet.draw.css": "dist/leaflet.draw.css",
        },
    ),
    dict(
        npm="leaflet.fullscreen", version="3.0.0", license="MIT",
        integrity="sha512-81wWSUXz1ZtdneR0v5eJDWXUSx+Zo5J50WXWeydG/UcILfIEAgz/iOjZSi3p00Z9MJ/FC/P5i3CgdYuEAos0yQ==",
        files=["Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg"],
        licenses=["LICENSE"],
        replaces={  # jsdelivr minifies on the fly; npm ships the plain file
            f"{JSD}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": "Control.FullScreen.js",
            f"{JSD}/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": "Control.FullScreen.css",
        },
    ),
    dict(
        npm="leaflet-measure", version="2.1.7", license="MIT",
        integrity="sha512-IvoHIoVTIQSXUgaNnAMF17qXFB+dF5ICdwmY8BHyq/Hh33/xeGqQUUYlz0pRMzFN9NUcjsT6JBhCr1ia0CG5ug==",
        files=["dist/leaflet-measure.min.js", "dist/leaflet-measure.css"]
        + [f"dist/images/{n}{s}.png" for n in ("cancel", "check", "focus", "rulers", "start", "trash")
           for s in ("", "_@2X")],
        licenses=["LICENSE"],
        replaces={
            f"{JSD}/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": "dist/leaflet-measure.min.js",
            f"{JSD}/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": "dist/leaflet-measure.css",
        },
    ),
    dict(
        npm="leaflet-minimap", version="3.6.1", license="BSD-2-Clause",
        integrity="sha512-6px8f6cfv1rKB6ACpL6bbUFGxipZOq4KsntJgBj9nOcW1RYa5+xFp8emOZwks9X+VtVVsQEwWwfgT1kTTL/LzA==",
        files=["dist/Control.MiniMap.min.js", "dist/Control.MiniMap.min.css",
               "dist/images/toggle.png", "dist/images/toggle.svg"],
        licenses=["LICENSE.txt"],
        replaces={
            f"{CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.js": "dist/Control.MiniMap.min.js",
            f"{CDNJS}/leaflet-minimap/3.6.1/Control.MiniMap.css": "dist/Control.MiniMap.min.css",
        },
    ),
    dict(
        # folium links ardhi/Leaflet.MousePosition's unversioned GitHub tree;
        # this is the npm release of the same plugin.
        npm="leaflet-mouse-position", version="1.2.0", license="MIT",
        integrity="sha512-iKS25GZDRdoKZn0O5sjTyNcBYrq/wenLiOidj4jJ5iD4SfhyqVj+bJHgBwuMxOlf8Vc/9B1ZPlqYV4QA97nyFg==",
        files=["src/L.Control.MousePosition.js", "src/L.Control.MousePosition.css"],
        licenses=["MIT-LICENCE.txt"],
        replaces={
            f"{JSD}/gh/ardhi/Leaflet.MousePosition/src/L.Control.MousePosition.min.js": "src/L.Control.MousePosition.js",
            f"{JSD}/gh/ardhi/Leaflet.MousePosition/src/L.Control.MousePosition.min.css": "src/L.Control.MousePosition.css",
        },
    ),
    dict(
        npm="leaflet-search", version="2.9.7", license="MIT",
        integrity="sha512-v7CxEbXyQXqLFjSkTpvM5i1cvmrcPOos57UmTnR94qqvVZykXyz/0SKEs3cbkFHjyrmMQ3Yk2Q5W6PvyuiSuPg==",
        files=["dist/leaflet-search.min.js", "dist/leaflet-search.min.css",
               "images/loader.gif", "images/search-icon.png"],
        licenses=["license.txt"],
        replaces={
            f"{JSD}/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js": "dist/leaflet-search.min.js",
            f"{JSD}/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css": "dist/leaflet-search.min.css",
        },
    ),
    dict(
        npm="leaflet-groupedlayercontrol", version="0.6.1", license="MIT",
        integrity="sha512-xkGeH6ygcryFQI0FUWn6Bz93zlwrOSpeXgJQ3jLRoUQJ5h/Qgrz+GqR9nhBFfikjUKtC1sCKL3eDR9wNTWhLlA==",
        files=["dist/leaflet.groupedlayercontrol.min.js", "dist/leaflet.groupedlayercontrol.min.css"],
        licenses=["LICENSE.txt"],
        replaces={
            f"{CDNJS}/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.js": "dist/leaflet.groupedlayercontrol.min.js",
            f"{CDNJS}/leaflet-groupedlayercontrol/0.6.1/leaflet.groupedlayercontrol.min.css": "dist/leaflet.groupedlayercontrol.min.css",
        },
    ),
    dict(
        npm="leaflet.featuregroup.subgroup", version="1.0.2", license="BSD-2-Clause",
        integrity="sha512-9nCVg8nUe686+BtPbUT7ALOe/IA+8Mum+rkA8pfPpCkH0WvKevRrH+JMcMTjAoNQKVI0uxrWrLV5w298SS3ESA==",
        files=["dist/leaflet.featuregroup.subgroup.js"], licenses=["LICENSE"],
        replaces={
            "https://unpkg.com/leaflet.featuregroup.subgroup@1.0.2/dist/leaflet.featuregroup.subgroup.js": "dist/leaflet.featuregroup.subgroup.js",
        },
    ),
    dict(
        npm="leaflet.control.layers.tree", version="1.1.0", license="BSD-3-Clause",
        integrity="sha512-B4/dfplsWL2ozra6UcHOfsA20ncmtBwu2HRNdrUSB5Xcd+kK5Tuxb9I+YyjE30cy2oRA3jHoM9sU11aFXAEaBA==",
        files=["L.Control.Layers.Tree.js", "L.Control.Layers.Tree.css"], licenses=["LICENSE"],
        replaces={
            f"{JSD}/npm/leaflet.control.layers.tree@1.1.0/L.Control.Layers.Tree.min.js": "L.Control.Layers.Tree.js",
            f"{JSD}/npm/leaflet.control.layers.tree@1.1.0/L.Control.Layers.Tree.min.css": "L.Control.Layers.Tree.css",
        },
    ),
    dict(
        npm="leaflet.markercluster", version="1.1.0", license="MIT",
        integrity="sha512-eI+XkCiLiHwCC3uZ4/n4+Vq3rXcqEHN2lhHRVG1WVziy/3Q0TTipWkzEa1zO0dKZI2AnI5ppFDWrOjnQ7MJLKQ==",
        files=["dist/leaflet.markercluster.js", "dist/MarkerCluster.css", "dist/MarkerCluster.Default.css"],
        licenses=["MIT-LICENCE.txt"],
        replaces={
            f"{CDNJS}/leaflet.markercluster/1.1.0/leaflet.markercluster.js": "dist/leaflet.markercluster.js",
            f"{CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.css": "dist/MarkerCluster.css",
            f"{CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": "dist/MarkerCluster.Default.css",
        },
    ),
    dict(
        # branca's ColorMap (the legend of folium.Choropleth, StepColormap,
        # LinearColormap) links d3 3.5.5, and streamlit-folium then also puts
        # d3.org's d3.v4 in front of it: both must load or st_folium never
        # draws the map (it awaits every script in turn).
        npm="d3", version="3.5.5", license="BSD-3-Clause",
        integrity="sha512-JPx0wEFxcYVcCZXgUbsy8NzVzD3zKat1KLtdCeOHPsmrpFlc09nr2/5Ls9ey7mo8SV6cWew0piLrmPVybj9I8w==",
        files=["d3.min.js"], licenses=["LICENSE"],
        replaces={f"{CDNJS}/d3/3.5.5/d3.min.js": "d3.min.js"},
    ),
    dict(
        npm="d3", version="4.13.0", license="BSD-3-Clause",
        integrity="sha512-l8c4+0SldjVKLaE2WG++EQlqD7mh/dmQjvi2L2lKPadAVC+TbJC4ci7Uk9bRi+To0+ansgsS0iWfPjD7DBy+FQ==",
        # flattened: the repository's .gitignore ignores every build/ directory
        files=[("build/d3.min.js", "d3.min.js")], licenses=["LICENSE"],
        replaces={"https://d3js.org/d3.v4.min.js": "d3.min.js"},
    ),
]

# only a trailing sourceMappingURL comment (the form minifiers append)
SOURCEMAP_RE = re.compile(
    r"\s*(?://[#@] sourceMappingURL=\S+|/\*[#@] sourceMappingURL=\S+\s*\*/)\s*\Z"
)


def sh(*cmd, cwd=None):
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def pkg_dir(p):
    return p.get("dir") or f"{p.get('npm') or p.get('pypi')}@{p['version']}"


def npm_pack(p, work):
    spec = f"{p['npm']}@{p['version']}"
    out = json.loads(sh("npm", "pack", spec, "--json", "--pack-destination", str(work), cwd=work))[0]
    if out["integrity"] != p["integrity"]:
        sys.exit(f"{spec}: integrity {out['integrity']} != pinned {p['integrity']}")
    data = (work / out["filename"]).read_bytes()
    members = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
        for m in tf.getmembers():
            if m.isfile():
                name = m.name.split("/", 1)[1]  # strip the leading "package/"
                members[name] = tf.extractfile(m).read()
    return members


def pypi_sdist(p, work):
    spec = f"{p['pypi']}=={p['version']}"
    d = work / f"sdist-{p['pypi']}"
    d.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--no-binary", ":all:", "-d", str(d), spec], check=True)
    (tgz,) = list(d.glob("*.tar.gz"))
    got = hashlib.sha256(tgz.read_bytes()).hexdigest()
    if got != p["sha256"]:
        sys.exit(f"{spec}: sha256 {got} != pinned {p['sha256']}")
    members = {}
    with tarfile.open(tgz, mode="r:gz") as tf:
        for m in tf.getmembers():
            if m.isfile():
                members[m.name.split("/", 1)[1]] = tf.extractfile(m).read()
    return members


def strip_sourcemap(path, data):
    if path.endswith((".js", ".css")):
        text = data.decode("utf-8")
        new = SOURCEMAP_RE.sub("\n", text)
        if new != text:
            return new.encode("utf-8"), "sourceMappingURL comment removed"
    return data, None


def fa_css(data):
    text = data.decode("utf-8")
    new = re.sub(r',url\(\.\./webfonts/[^)]+\.ttf\) format\("truetype"\)', "", text)
    assert ".ttf" not in new
    return new.encode("utf-8"), "ttf fallbacks removed from @font-face src (woff2 only)"


def gen_glyphicons(members):
    css = members["dist/css/bootstrap.css"].decode("utf-8")
    start = css.index('@font-face {\n  font-family: "Glyphicons Halflings";')
    rules, pos = [], start
    # rules are "selector {\n ... \n}\n"; take the @font-face then every rule
    # whose selectors are all .glyphicon*
    font_end = css.index("}\n", pos) + 2
    pos = font_end
    while True:
        end = css.index("}\n", pos) + 2
        rule = css[pos:end]
        sel = rule.split("{", 1)[0]
        if not all(s.strip().startswith(".glyphicon") for s in sel.split(",")):
            break
        rules.append(rule)
        pos = end
    head = (
        "/*!\n * Glyphicons Halflings classes cut from Bootstrap v3.4.1 "
        "(https://getbootstrap.com/)\n * Copyright 2011-2019 Twitter, Inc.\n"
        " * Licensed under MIT (https://github.com/twbs/bootstrap/blob/master/LICENSE)\n"
        " * Generated by parkmap scripts/vendor_assets.sh; woff2/woff only.\n */\n"
        "@font-face {\n  font-family: \"Glyphicons Halflings\";\n"
        "  src: url(\"../fonts/glyphicons-halflings-regular.woff2\") format(\"woff2\"),"
        " url(\"../fonts/glyphicons-halflings-regular.woff\") format(\"woff\");\n}\n"
    )
    assert len(rules) > 200, len(rules)
    return (head + "".join(rules)).encode("utf-8"), "generated: @font-face + .glyphicon rules of dist/css/bootstrap.css"


def gen_rotate(members):
    css = members["folium/templates/leaflet.awesome.rotate.css"].decode("utf-8")
    lines = [ln.strip() for ln in css.splitlines() if ln.strip()]
    out = "".join(ln.replace("; ", ";").replace(": ", ":") for ln in lines) + "\n"
    return out.encode("utf-8"), "generated: whitespace-minified folium/templates/leaflet.awesome.rotate.css"


def gen_draw_license(members):
    js = members["dist/leaflet.draw.js"].decode("utf-8")
    m = re.search(r"\(c\) (2012-2017, [^\n]+)", js)
    holder = m.group(1).strip()
    text = f"""The MIT License (MIT)

Copyright (c) {holder}

(The npm package leaflet-draw@1.0.2 declares "license": "MIT" but ships no
licence file; this text was written by parkmap's scripts/vendor_assets.sh from
that declaration and the copyright line in dist/leaflet.draw.js.)

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
"""
    return text.encode("utf-8"), "generated: MIT text (package ships no licence file)"


GENERATORS = {"glyphicons": gen_glyphicons, "rotate": gen_rotate, "draw_license": gen_draw_license}


def build(dest):
    dest.mkdir(parents=True, exist_ok=True)
    manifest = {
        "about": "Offline copies of the CDN assets folium/streamlit-folium reference. "
                 "Generated by scripts/vendor_assets.sh; do not edit by hand.",
        "packages": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for p in PACKAGES:
            d = pkg_dir(p)
            members = npm_pack(p, work) if "npm" in p else pypi_sdist(p, work)
            out_files = {}
            for item in p.get("files", []):
                src, path = item if isinstance(item, tuple) else (item, item)
                data, note = strip_sourcemap(path, members[src])
                if p.get("npm") == "@fortawesome/fontawesome-free" and path.endswith(".css"):
                    data, note = fa_css(data)
                if src != path:
                    note = "; ".join(x for x in (note, f"from {src}") if x)
                out_files[path] = (data, note)
            for path in p.get("licenses", []):
                out_files[path] = (members[path], None)
            for path, gen in p.get("generated", {}).items():
                out_files[path] = GENERATORS[gen](members)
            entries = []
            for path in sorted(out_files):
                data, note = out_files[path]
                target = dest / d / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                e = {"path": f"{d}/{path}", "bytes": len(data),
                     "sha256": hashlib.sha256(data).hexdigest()}
                if note:
                    e["modified"] = note
                entries.append(e)
            for url, rel in p["replaces"].items():
                assert rel in out_files, (url, rel)
            lic = sorted(f"{d}/{x}" for x in p.get("licenses", [])
                         + [k for k, v in p.get("generated", {}).items() if v == "draw_license"])
            manifest["packages"].append({
                "name": p.get("npm") or p.get("pypi"),
                "version": p["version"],
                "dir": d,
                "license": p["license"],
                "license_files": lic,
                "source": (f"npm:{p['npm']}@{p['version']}" if "npm" in p
                           else f"pypi-sdist:{p['pypi']}=={p['version']}"),
                "integrity": p.get("integrity") or f"sha256-{p['sha256']}",
                "files": entries,
                "replaces": {url: f"{d}/{rel}" for url, rel in sorted(p["replaces"].items())},
            })
    manifest["total_bytes"] = sum(e["bytes"] for pk in manifest["packages"] for e in pk["files"])
    (dest / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return manifest


if CHECK:
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp) / "vendor")
        r = subprocess.run(["diff", "-r", str(Path(tmp) / "vendor"), str(DEST)])
        print("static/vendor is up to date" if r.returncode == 0 else "static/vendor differs from a fresh fetch")
        sys.exit(r.returncode)
else:
    if DEST.exists():
        shutil.rmtree(DEST)
    m = build(DEST)
    n = sum(len(p["files"]) for p in m["packages"])
    print(f"wrote {n} files from {len(m['packages'])} packages, {m['total_bytes']/1024:.0f} KiB, to {DEST}")
PYEOF
