"""Static files under versioned URLs, bundled per screen and compressed once.

Every page names its stylesheets and scripts through ``asset('bundle/phone.js')``,
which returns ``/static/bundle/phone.js?v=<hash of the contents>``. A browser keeps
such a URL for a year without asking again (a phone's repeat load is the HTML alone);
a new release changes the hash, so the URL, so the browser fetches the new file.

A screen loads one stylesheet and one script: its bundle (``BUNDLES``), the files it
uses joined in the order they were linked one by one before, built in memory when
the process starts. Each answer carries some 550 bytes of headers (the guard's CSP
most of it): a phone's seventeen answers spent 9 KB on headers alone, its three now
1.6 KB. Every file and bundle is gzipped once, at level 9, and sent as it is to each
browser that accepts gzip; Brotli (where the ``brotli`` module is installed) is made
once too, in a thread, after the first request that offers it: nothing is compressed
per request.

The files themselves (``/static/js/live.js``) stay served for what is not bundled
(the favicon) and for a page rendered before a restart.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import mimetypes
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from board.settings import STATIC_DIR

brotli: ModuleType | None
try:  # Google's bindings; WeasyPrint's fontTools[woff] brings them on CPython.
    brotli = importlib.import_module("brotli")
except ImportError:  # pragma: no cover - then gzip alone
    brotli = None

PREFIX = "/static"
BUNDLE = "bundle/"
HASH_LENGTH = 12  # hex digits: 48 bits, plenty to tell two versions of one file apart
# A versioned URL never changes its content: cache it for a year, never revalidate.
IMMUTABLE = "public, max-age=31536000, immutable"
# An unversioned URL (a bookmark, an old page): keep it, but ask (ETag) before each use.
REVALIDATE = "no-cache"
# Once per file: the smallest gzip (zopfli would save another 4 % at 100 times the CPU).
GZIP_LEVEL = 9
BROTLI_QUALITY = 11
# Issue 13's page weight: a phone's first load (the page and everything it loads, as
# a browser asks, with gzip) and its repeat load (the page alone), bytes on the wire.
# tests/test_assets.py holds the phone page to them; bench/pages.py measures them.
FIRST_LOAD_BUDGET = 40 * 1024
REPEAT_LOAD_BUDGET = 10 * 1024

_SCRIPTS = ("vendor/htmx-2.0.11.min.js", "vendor/htmx-ext-ws-2.0.4.js", "js/live.js")
_STYLES = ("css/base.css", "css/board.css", "css/phone.css", "css/results.css")
# What each screen loads, in link order (later rules win, scripts run in turn). The
# phone page uses base, phone and results only (no class of board, console or start
# is in its templates or scripts). The board, the wall and the console share rules
# across their stylesheets (.dropzone, .note…) but none of start.css, which only the
# start page uses; it and the small pages (join, errors) keep all six.
BUNDLES: dict[str, tuple[str, ...]] = {
    "phone.css": ("css/base.css", "css/phone.css", "css/results.css"),
    "room.css": (*_STYLES, "css/console.css"),
    "all.css": (*_STYLES, "css/console.css", "css/start.css"),
    "page.js": _SCRIPTS,
    "phone.js": (
        *_SCRIPTS,
        "js/drafts.js",
        "js/timer.js",
        "js/grid.js",
        "js/target.js",
        "js/answers.js",
        "js/counter.js",
    ),
    "wall.js": (*_SCRIPTS, "js/timer.js"),
    "board.js": (*_SCRIPTS, "js/fit.js", "js/timer.js"),
    "console.js": (
        *_SCRIPTS,
        "vendor/sortable-1.15.7.min.js",
        "js/console.js",
        "js/timer.js",
        "js/undo.js",
    ),
}


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


# Comments are for the people who read the source, not for every phone's download.
# Only those that stand alone on their lines or follow a rule, so nothing else moves.
_CSS_COMMENT = re.compile(rb"/\*(?:(?!\*/).)*\*/", re.DOTALL)
_JS_COMMENT_LINES = re.compile(
    rb"^[ \t]*(?:/\*(?:(?!\*/).)*\*/|//(?:(?!\*/)[^\n])*)[ \t]*\n", re.DOTALL | re.MULTILINE
)
_BLANK_LINES = re.compile(rb"\n[ \t]*(?=\n)")
_TRAILING_SPACE = re.compile(rb"[ \t]+\n")


def lean(name: str, text: bytes) -> bytes:
    """``text`` without its comments, as a bundle carries it. A stylesheet's comment
    becomes a space (which is what it is to the browser between two rules); a script
    loses only whole comment lines (a line that starts with ``//`` or ``/*`` outside
    a string is a comment), and not at all if a template literal could span lines.
    Vendor files stay as their authors shipped them (licence lines included)."""
    if name.startswith("vendor/"):
        return text
    if name.endswith(".css"):
        text = _CSS_COMMENT.sub(b" ", text)
    elif name.endswith(".js") and b"`" not in text:
        text = _JS_COMMENT_LINES.sub(b"", text)
    text = _TRAILING_SPACE.sub(b"\n", text)
    return _BLANK_LINES.sub(b"", text).lstrip(b"\n")


def bundle(name: str, parts: Sequence[tuple[str, bytes]]) -> bytes:
    """The files of one bundle, leaned, in order. A ``;`` between two scripts ends a
    statement the first left open (the ws extension ends in ``})()``)."""
    separator = b"\n;\n" if name.endswith(".js") else b"\n"
    return separator.join(lean(source, text).rstrip(b"\n") for source, text in parts) + b"\n"


@dataclass
class Asset:
    """One URL's contents, with its encodings made once."""

    body: bytes
    media_type: str
    sources: tuple[str, ...]
    version: str = field(init=False)
    gzipped: bytes | None = field(init=False)  # None: gzip would not make it smaller
    _br: bytes | None = field(init=False, default=None)
    _br_asked: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.version = content_hash(self.body)
        packed = gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0)
        self.gzipped = packed if len(packed) < len(self.body) else None

    def brotli(self) -> bytes | None:
        """The Brotli encoding once it is made. The first ask starts it on the Brotli
        thread and gets None (so gzip) meanwhile: quality 11 takes up to half a second
        for the console's bundle, longer than the 10 % it saves is worth to one
        browser, and the module lets go of the GIL, so the event loop runs on. A
        plain-HTTP board never asks (browsers offer ``br`` over HTTPS only)."""
        if brotli is None or self.gzipped is None:
            return None
        if not self._br_asked:
            self._br_asked = True
            _brotli_thread().submit(self._make_brotli)
        return self._br

    def _make_brotli(self) -> None:
        assert brotli is not None
        self._br = brotli.compress(self.body, quality=BROTLI_QUALITY)


def _media_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed.endswith(("javascript", "+xml")):
        return f"{guessed}; charset=utf-8"
    return guessed


class Assets:
    """Every file below ``directory`` and every bundle of them, read once."""

    def __init__(self, directory: Path, bundles: Mapping[str, Sequence[str]] | None = None) -> None:
        files = {
            path.relative_to(directory).as_posix(): path.read_bytes()
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        }
        self.assets = {
            name: Asset(body, _media_type(name), (name,)) for name, body in files.items()
        }
        for name, sources in (bundles or {}).items():
            body = bundle(name, [(source, files[source]) for source in sources])
            self.assets[BUNDLE + name] = Asset(body, _media_type(name), tuple(sources))
        self.versions = {name: asset.version for name, asset in self.assets.items()}

    def url(self, name: str) -> str:
        """The versioned URL of ``name`` (relative to static/, or ``bundle/…``); a
        name that is not there fails at render time, not as a 404 in the browser."""
        return f"{PREFIX}/{name}?v={self.versions[name]}"

    def is_current(self, name: str, version: str) -> bool:
        return self.versions.get(name) == version

    def sources(self, name: str) -> tuple[str, ...]:
        """The files ``name`` is made of: a bundle's, or the file itself."""
        return self.assets[name].sources

    async def endpoint(self, request: Request) -> Response:
        asset = self.assets.get(request.path_params["file"])
        if asset is None:
            raise HTTPException(404)
        encoding, body = _encoded(asset, accepted_encodings(request.headers))
        etag = f'"{asset.version}-{encoding}"' if encoding else f'"{asset.version}"'
        version = request.query_params.get("v")
        # A stale version (a page rendered before a restart) gets today's file: it
        # must not be kept for a year under the old URL.
        current = version is not None and version == asset.version
        headers = {"cache-control": IMMUTABLE if current else REVALIDATE, "etag": etag}
        if asset.gzipped is not None:
            # The same URL answers gzip, br or plain: a shared cache keeps them apart.
            headers["vary"] = "Accept-Encoding"
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        if encoding:
            headers["content-encoding"] = encoding
        return Response(body, media_type=asset.media_type, headers=headers)


_QUALITY_ZERO = re.compile(r"q\s*=\s*0(?:\.0*)?\s*$")


def accepted_encodings(headers: Mapping[str, str]) -> set[str]:
    """The content codings the request accepts (``q=0`` refuses one)."""
    accepted = set()
    for item in headers.get("accept-encoding", "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding and not _QUALITY_ZERO.search(params):
            accepted.add(coding.strip().lower())
    return accepted


def _encoded(asset: Asset, accepted: set[str]) -> tuple[str | None, bytes]:
    if "br" in accepted and (packed := asset.brotli()) is not None:
        return "br", packed
    if "gzip" in accepted and asset.gzipped is not None:
        return "gzip", asset.gzipped
    return None, asset.body


def _etags(header: str) -> set[str]:
    """The tags of an If-None-Match (weak ones compare equal, RFC 9110 13.1.2)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


_pool: ThreadPoolExecutor | None = None


def _brotli_thread() -> ThreadPoolExecutor:
    """One thread makes the Brotli encodings, one after the other (a core at most)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brotli")
    return _pool


_shipped: Assets | None = None


def shipped() -> Assets:
    """The assets this process serves, read, bundled and gzipped on first use (at
    startup: the templates and the static route both ask while the app is built)."""
    global _shipped
    if _shipped is None:
        _shipped = Assets(STATIC_DIR, BUNDLES)
    return _shipped
