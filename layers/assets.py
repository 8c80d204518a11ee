"""Serve folium's JS/CSS from the repository instead of public CDNs.

Many parkmap users sit on intranets with no internet, so the map page must not
need a CDN. ``static/vendor/`` holds pinned copies of everything folium 0.20,
the plugins we use and streamlit-folium would fetch (see
``scripts/vendor_assets.sh`` and ``static/vendor/MANIFEST.json``).

In the Streamlit app (``.streamlit/config.toml`` sets
``server.enableStaticServing``, which serves ``./static/x`` at ``/app/static/x``)::

    m = folium.Map(...); ...add layers/plugins...
    use_local_assets(m)          # before st_folium / m.save
    st_folium(m, ...)

For a standalone HTML export that opens with no network at all::

    html = inline_assets(m.get_root().render())

How streamlit-folium loads assets: ``st_folium`` strips every ``<script src>``
and ``<link rel=stylesheet>`` out of folium's header, collects the
``default_js``/``default_css`` URLs of every element of the map (plus d3 for
branca colormaps, hard-coded), and hands them to its component iframe, which
creates ``<script src=URL>`` tags one after the other and only draws the map
when every one has loaded (one failure and the map stays blank). The iframe is
served by Streamlit itself (``/component/streamlit_folium.st_folium/index.html``),
i.e. on the app's own origin, so a root-absolute ``/app/static/vendor/...`` URL
reaches Streamlit's static file route. ``use_local_assets`` therefore rewrites
the elements' ``default_js``/``default_css`` (instance copies; the folium classes
are left alone) and wraps streamlit-folium's component call so the hard-coded
d3 links follow.
"""

from __future__ import annotations

import base64
import functools
import json
import mimetypes
import posixpath
import re
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Iterable, Iterator

import branca.element
import folium
from branca.element import MacroElement
from folium.template import Template

from geo import resources, settings

__all__ = [
    "DEFAULT_BASE_URL",
    "ExternalAssetError",
    "OfflineAssetWarning",
    "external_urls",
    "inline_assets",
    "local_asset_map",
    "manifest",
    "patch_st_folium",
    "streamlit_base_url",
    "use_local_assets",
    "vendor_dir",
]

#: Where Streamlit's static serving exposes ``<app dir>/static/vendor``.
DEFAULT_BASE_URL = "/app/static/vendor"

_REWRITER_NAME = "parkmap_local_assets"
_IMAGE_PATH_NAME = "parkmap_leaflet_image_path"


class ExternalAssetError(RuntimeError):
    """A map still references a script/stylesheet on a remote host."""


class OfflineAssetWarning(UserWarning):
    """A map references a remote script/stylesheet we have no local copy of."""


# --------------------------------------------------------------------------
# the vendored files
# --------------------------------------------------------------------------


def vendor_dir() -> Path:
    """The ``static/vendor`` directory (``PARKMAP_VENDOR_DIR`` overrides)."""
    env = settings.vendor_dir()
    if env is not None:
        return env
    return resources.static_dir() / "vendor"


@functools.lru_cache(maxsize=4)
def _load_manifest(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def manifest() -> dict:
    """``static/vendor/MANIFEST.json``: packages, versions, licences, files, sha256."""
    return _load_manifest(str(vendor_dir() / "MANIFEST.json"))


@functools.lru_cache(maxsize=4)
def _index(path: str) -> tuple[dict[str, str], tuple[str, ...]]:
    man = _load_manifest(path)
    cdn: dict[str, str] = {}
    for pkg in man["packages"]:
        cdn.update(pkg["replaces"])
    files = [f["path"] for pkg in man["packages"] for f in pkg["files"]]
    return cdn, tuple(sorted(files, key=len, reverse=True))  # longest first


def _cdn_to_rel() -> dict[str, str]:
    """CDN URL -> path relative to ``static/vendor``."""
    return _index(str(vendor_dir() / "MANIFEST.json"))[0]


def _vendored_paths() -> tuple[str, ...]:
    """Paths relative to ``static/vendor``, longest first."""
    return _index(str(vendor_dir() / "MANIFEST.json"))[1]


def streamlit_base_url() -> str:
    """``/app/static/vendor`` under the running app's ``server.baseUrlPath``."""
    prefix = ""
    try:
        import streamlit as st

        prefix = (st.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:  # streamlit absent or not configured: plain default
        prefix = ""
    return f"/{prefix}{DEFAULT_BASE_URL}" if prefix else DEFAULT_BASE_URL


def local_asset_map(base_url: str | None = None) -> dict[str, str]:
    """Map each CDN URL folium/plugins/streamlit-folium use to its local URL.

    ``base_url`` is where ``static/vendor`` is reachable. ``None`` (default):
    Streamlit's static serving, ``/app/static/vendor``, under the app's
    ``server.baseUrlPath`` if one is set (see :func:`streamlit_base_url`).
    Also fine: ``../../app/static/vendor`` (relative to st_folium's iframe at
    ``<base>/component/streamlit_folium.st_folium/index.html``; survives a
    reverse proxy that strips a path prefix), ``http://127.0.0.1:8000/vendor``,
    a ``file://`` URL...
    """
    base = _base(base_url)
    return {url: f"{base}/{rel}" for url, rel in _cdn_to_rel().items()}


def _base(base_url: str | None) -> str:
    return (streamlit_base_url() if base_url is None else base_url).rstrip("/")


# --------------------------------------------------------------------------
# rewriting a folium map
# --------------------------------------------------------------------------


def _is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def _walk(root) -> Iterator:
    """Every element under ``root`` (depth first), DualMap halves included."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        el = stack.pop()
        if id(el) in seen:
            continue
        seen.add(id(el))
        yield el
        for attr in ("m1", "m2"):  # folium.plugins.DualMap
            sub = getattr(el, attr, None)
            if isinstance(sub, branca.element.Element):
                stack.append(sub)
        children = getattr(el, "_children", None)
        if children:
            stack.extend(reversed(list(children.values())))


def _relocate(url: str, base: str) -> str:
    """``url`` -> ``base/<vendored path>`` if it names a file we vendor (a CDN
    URL, or a local URL under another base), else unchanged."""
    rel = _resolve(url)
    return f"{base}/{rel}" if rel else url


def _localize_tree(root, base: str) -> None:
    for el in _walk(root):
        for attr in ("default_js", "default_css"):
            pairs = getattr(el, attr, None)
            if pairs:
                # an instance copy: never mutate the class-level list that
                # every other map in the process shares
                setattr(el, attr, [(name, _relocate(url, base)) for name, url in pairs])


def _localize_header(figure, base: str) -> None:
    for child in figure.header._children.values():
        if isinstance(child, branca.element.Link):
            child.url = _relocate(child.url, base)


def _remaining_remote(root, base: str) -> list[str]:
    """Remote script/stylesheet URLs still in ``root``'s tree/header, other
    than our own copies under ``base`` (which may itself be http://...)."""
    urls: list[str] = []
    for el in _walk(root):
        for attr in ("default_js", "default_css"):
            urls += [u for _, u in getattr(el, attr, None) or [] if _is_remote(u)]
    fig = root.get_root() if hasattr(root, "get_root") else None
    if isinstance(fig, branca.element.Figure):
        urls += [
            c.url
            for c in fig.header._children.values()
            if isinstance(c, branca.element.Link) and _is_remote(c.url)
        ]
    return [u for u in dict.fromkeys(urls) if not u.startswith(base + "/")]


def _complain(urls: list[str], strict: bool) -> None:
    if not urls:
        return
    msg = (
        "map still references remote assets with no local copy (add them to "
        "scripts/vendor_assets.sh): " + ", ".join(urls)
    )
    if strict:
        raise ExternalAssetError(msg)
    warnings.warn(msg, OfflineAssetWarning, stacklevel=3)


class _LocalAssetRewriter(branca.element.Element):
    """Sits in the Figure after the map; at render time it localizes elements
    added after ``use_local_assets`` and the links some code adds straight to
    the header while rendering (branca's ColorMap adds d3 that way)."""

    _template = branca.element.Template("")

    def __init__(self, base: str, strict: bool = False):
        super().__init__()
        self._name = "LocalAssetRewriter"
        self.base = base
        self.strict = strict

    def render(self, **kwargs) -> str:
        fig = self.get_root()
        for child in list(fig._children.values()):
            if child is not self:
                _localize_tree(child, self.base)
        _localize_header(fig, self.base)
        _complain(_remaining_remote(fig, self.base), self.strict)
        return ""


class _LeafletImagePath(MacroElement):
    """Sets ``L.Icon.Default.imagePath`` right after the map is created.

    Leaflet 1.9 finds its default marker images through leaflet.css; when the
    stylesheet is not applied yet (st_folium adds the CSS links after the
    scripts and runs the map at once) it falls back to the leaflet.css link's
    directory *without* "images/" and asks for ``.../distmarker-icon.png``.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "if (window.L && L.Icon && L.Icon.Default && typeof L.Icon.Default.imagePath !== 'string') "
        "{ L.Icon.Default.imagePath = {{ this.path_js }}; }"
        "{% endmacro %}"
    )

    def __init__(self, path: str):
        super().__init__()
        self._name = "LeafletImagePath"
        self.path_js = json.dumps(path)


def _set_image_path(m, base: str) -> None:
    css = next((rel for rel in _cdn_to_rel().values() if rel.endswith("/leaflet.css")), None)
    if css is None or not isinstance(m, folium.Map):
        return
    el = _LeafletImagePath(f"{base}/{posixpath.dirname(css)}/images/")
    el._parent = m
    rest = [(k, v) for k, v in m._children.items() if k != _IMAGE_PATH_NAME]
    # first child: its script runs before any layer that may make a marker
    m._children = OrderedDict([(_IMAGE_PATH_NAME, el), *rest])


def use_local_assets(
    m: folium.Map | branca.element.Element,
    base_url: str | None = None,
    *,
    strict: bool = False,
):
    """Make ``m`` (and everything in it) load its JS/CSS from ``base_url``
    (see :func:`local_asset_map`; default: Streamlit's ``/app/static/vendor``).

    Rewrites the ``default_js``/``default_css`` of the map and every child
    element/plugin (instance-level copies), arranges for links added at render
    time to be rewritten too, and makes ``st_folium`` map its hard-coded d3
    links the same way. A remote script/stylesheet with no local copy gives an
    :class:`OfflineAssetWarning` (``strict=True``: :class:`ExternalAssetError`).
    Tile URLs are not touched (they are not scripts or stylesheets).
    Returns ``m``.
    """
    base = _base(base_url)
    _localize_tree(m, base)
    _set_image_path(m, base)
    fig = m.get_root()
    if isinstance(fig, branca.element.Figure):
        _localize_header(fig, base)
        fig.add_child(_LocalAssetRewriter(base, strict), name=_REWRITER_NAME)
    patch_st_folium()
    _complain(_remaining_remote(m, base), strict)
    return m


# --------------------------------------------------------------------------
# streamlit-folium
# --------------------------------------------------------------------------


def _localize_link_list(links: list[str]) -> list[str]:
    """Map CDN URLs in a st_folium js/css link list to the base the other
    (already localized) links of the same map use; leave the list alone when
    the map was not passed through use_local_assets."""
    cdn = _cdn_to_rel()
    votes: dict[str, int] = {}
    for link in links:
        if link in cdn:
            continue
        rel = _resolve(link)
        if rel and link.endswith("/" + rel):
            b = link[: -len(rel) - 1]
            votes[b] = votes.get(b, 0) + 1
    if not votes:
        return links
    base = max(votes, key=votes.get)
    return list(dict.fromkeys(_relocate(u, base) if u in cdn else u for u in links))


def patch_st_folium() -> bool:
    """Wrap ``streamlit_folium._component_func`` (idempotent).

    st_folium adds ``d3js.org/d3.v4`` and cdnjs d3 3.5.5 to the iframe's script
    list for every branca ColorMap (the legend of ``folium.Choropleth``),
    bypassing ``default_js``; offline, that failed script keeps the whole map
    from drawing. The wrapper maps such CDN links to local ones when the rest
    of the list is already local. Returns False if streamlit_folium is absent.
    """
    try:
        import streamlit_folium as sf
    except Exception:
        return False
    func = getattr(sf, "_component_func", None)
    if func is None:
        warnings.warn(
            "streamlit_folium._component_func not found; d3 links of colormaps stay remote",
            OfflineAssetWarning,
            stacklevel=2,
        )
        return False
    if getattr(func, "_parkmap_localized", False):
        return True

    def component_func(*args, **kwargs):
        for key in ("js_links", "css_links"):
            if kwargs.get(key):
                kwargs[key] = _localize_link_list(list(kwargs[key]))
        return func(*args, **kwargs)

    component_func._parkmap_localized = True  # type: ignore[attr-defined]
    component_func._parkmap_original = func  # type: ignore[attr-defined]
    sf._component_func = component_func
    return True


# --------------------------------------------------------------------------
# HTML: listing and inlining
# --------------------------------------------------------------------------

# one pass over the page: inline <script>/<style> blocks are skipped whole so
# nothing inside them (or inside what we inline) is ever taken for a tag
_TOKEN_RE = re.compile(
    r"(?P<block><script\b(?![^>]*\bsrc\s*=)[^>]*>.*?</script\s*>|<style\b[^>]*>.*?</style\s*>|<!--.*?-->)"
    r"|(?P<script><script\b[^>]*\bsrc\s*=\s*([\"']?)(?P<url>[^\"'\s>]+)\3[^>]*>\s*</script\s*>)"
    r"|(?P<link><link\b[^>]*>)",
    re.IGNORECASE | re.DOTALL,
)

# Font Awesome 6 declares its fonts again under its v4/v5 family names; folium
# (Icon(prefix="fa") -> class "fa") uses the v6 families. Inlined, each alias
# would repeat the same base64 font (~850 KB), so inline mode drops them.
_FA_ALIAS_FACE_RE = re.compile(
    r'@font-face\{font-family:"(?:Font Awesome 5 Brands|Font Awesome 5 Free|FontAwesome)";[^}]*\}'
)


_HREF_RE = re.compile(r"\bhref\s*=\s*([\"']?)([^\"'\s>]+)\1", re.IGNORECASE)
_REL_STYLESHEET_RE = re.compile(r"\brel\s*=\s*[\"']?stylesheet", re.IGNORECASE)
_CSS_URL_RE = re.compile(r"url\(\s*([\"']?)([^\"')]+)\1\s*\)")
_TILE_RE = re.compile(r"\{-?[szxyr]\}")


def _tag_urls(html: str) -> Iterable[str]:
    for m in _TOKEN_RE.finditer(html):
        if m.group("script"):
            yield m.group("url")
        elif m.group("link"):
            h = _HREF_RE.search(m.group("link"))
            if h:
                yield h.group(2)


def external_urls(html: str) -> list[str]:
    """http(s) (and protocol-relative) URLs in ``<script src>``/``<link href>`` tags.

    Tile URL templates (``{z}/{x}/{y}``) are ignored; they are not fetched as
    scripts and live in the map's JS anyway.
    """
    return list(
        dict.fromkeys(u for u in _tag_urls(html) if _is_remote(u) and not _TILE_RE.search(u))
    )


def _resolve(url: str) -> str | None:
    """A script/link URL (CDN or any local base) -> path under static/vendor."""
    cdn = _cdn_to_rel()
    if url in cdn:
        return cdn[url]
    clean = url.split("?", 1)[0].split("#", 1)[0]
    for rel in _vendored_paths():
        if clean == rel or clean.endswith("/" + rel):
            return rel
    return None


def _data_uri(path: Path) -> str:
    mime = {
        ".woff2": "font/woff2",
        ".woff": "font/woff",
        ".ttf": "font/ttf",
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".gif": "image/gif",
    }.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _only_woff2(css: str) -> str:
    """In @font-face src lists that offer woff2, drop the other formats: a
    browser that reads woff2 never fetches them, and inlined they weigh a lot."""

    def fix(m: re.Match) -> str:
        parts = [p.strip() for p in re.split(r",(?![^(]*\))", m.group(1))]
        woff2 = [p for p in parts if 'format("woff2")' in p or "format('woff2')" in p]
        return "src:" + (", ".join(woff2) if woff2 else m.group(1))

    return re.sub(r"src:\s*([^;}]+)", fix, css)


def _inline_css(rel: str, css: str) -> str:
    root = vendor_dir()
    css = _only_woff2(css)
    base = posixpath.dirname(rel)

    def repl(m: re.Match) -> str:
        ref = m.group(2).strip()
        if ref.startswith(("data:", "#", "http:", "https:", "//")):
            return m.group(0)
        target = posixpath.normpath(posixpath.join(base, ref.split("?", 1)[0].split("#", 1)[0]))
        path = root / target
        if not path.is_file():
            return m.group(0)
        return f'url("{_data_uri(path)}")'

    return _CSS_URL_RE.sub(repl, css)


def _leaflet_icon_fix(leaflet_rel: str) -> str:
    """Leaflet finds its default marker images through a CSS url() that no
    longer names a path once inlined; hand it data: URIs instead."""
    images = vendor_dir() / posixpath.dirname(leaflet_rel) / "images"
    if not (images / "marker-icon.png").is_file():
        return ""
    opts = {
        "iconUrl": _data_uri(images / "marker-icon.png"),
        "iconRetinaUrl": _data_uri(images / "marker-icon-2x.png"),
        "shadowUrl": _data_uri(images / "marker-shadow.png"),
    }
    # _getIconUrl itself is replaced so a later imagePath assignment (our own
    # _LeafletImagePath, say) cannot put a path in front of the data: URI
    return (
        "<script>if(window.L&&L.Icon&&L.Icon.Default){(function(u){"
        "L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions(u);"
        "L.Icon.Default.include({_getIconUrl:function(n){"
        "return L.Icon.prototype._getIconUrl.call(this,n);}});"
        f"}})({json.dumps(opts)});}}</script>"
    )


def inline_assets(html: str, *, strict: bool = False) -> str:
    """Replace ``<script src>``/``<link rel=stylesheet>`` pointing at a CDN or
    at the local vendor copy with inline ``<script>``/``<style>`` read from
    ``static/vendor`` (fonts and images referenced by the CSS become data:
    URIs), so the page opens with no network. Links we have no copy of are
    left alone with an :class:`OfflineAssetWarning` (``strict=True``: raise).
    Tiles are not touched: a basemap still needs its tile server.
    """
    root = vendor_dir()
    missing: list[str] = []
    done: set[str] = set()

    def script(url: str, tag: str) -> str:
        rel = _resolve(url)
        if rel is None:
            if _is_remote(url):
                missing.append(url)
            return tag
        if rel in done:
            return ""
        done.add(rel)
        code = (root / rel).read_text(encoding="utf-8")
        code = re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)
        out = f"<script>/* {rel} */\n{code}\n</script>"
        if rel.endswith("/leaflet.js"):
            out += _leaflet_icon_fix(rel)
        return out

    def link(tag: str) -> str:
        h = _HREF_RE.search(tag)
        if not h or not _REL_STYLESHEET_RE.search(tag):
            return tag
        url = h.group(2)
        rel = _resolve(url)
        if rel is None:
            if _is_remote(url):
                missing.append(url)
            return tag
        if rel in done:
            return ""
        done.add(rel)
        css = _FA_ALIAS_FACE_RE.sub("", (root / rel).read_text(encoding="utf-8"))
        css = _inline_css(rel, css).replace("</style", "<\\/style")
        return f"<style>/* {rel} */\n{css}\n</style>"

    def token(m: re.Match) -> str:
        if m.group("block"):
            return m.group(0)
        if m.group("script"):
            return script(m.group("url"), m.group(0))
        return link(m.group(0))

    out = _TOKEN_RE.sub(token, html)
    if missing:
        msg = "no local copy to inline for: " + ", ".join(dict.fromkeys(missing))
        if strict:
            raise ExternalAssetError(msg)
        warnings.warn(msg, OfflineAssetWarning, stacklevel=2)
    return out
