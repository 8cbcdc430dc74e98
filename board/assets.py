"""Static files under versioned URLs: cached for a year, refetched when they change.

Every page names its stylesheets and scripts through ``asset('js/live.js')``, which
returns ``/static/js/live.js?v=<hash of the file's contents>``. A browser keeps such
a URL for a year without asking again (a phone's repeat load is the HTML alone); a
new release changes the hash, so the URL, so the browser fetches the new file. The
hashes are computed once, when the process starts, from the files it serves (the
checkout's static/ or the wheel's board/_data/static).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from board.settings import STATIC_DIR

PREFIX = "/static"
HASH_LENGTH = 12  # hex digits: 48 bits, plenty to tell two versions of one file apart
# A versioned URL never changes its content: cache it for a year, never revalidate.
IMMUTABLE = "public, max-age=31536000, immutable"
# An unversioned URL (a bookmark, an old page): keep it, but ask (ETag) before each use.
REVALIDATE = "no-cache"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


class Assets:
    """The version of every file below ``directory``, read once."""

    def __init__(self, directory: Path) -> None:
        self.versions = {
            path.relative_to(directory).as_posix(): content_hash(path.read_bytes())
            for path in sorted(directory.rglob("*"))
            if path.is_file()
        }

    def url(self, name: str) -> str:
        """The versioned URL of ``name`` (relative to static/); a name that is not
        there fails at render time, not as a 404 in the browser."""
        return f"{PREFIX}/{name}?v={self.versions[name]}"

    def is_current(self, name: str, version: str) -> bool:
        return self.versions.get(name) == version


_shipped: Assets | None = None


def shipped() -> Assets:
    """The assets this process serves, hashed on first use (at startup: the
    templates and the static route both ask while the app is built)."""
    global _shipped
    if _shipped is None:
        _shipped = Assets(STATIC_DIR)
    return _shipped


class VersionedStatic(StaticFiles):
    """StaticFiles that marks a current versioned URL immutable and the rest no-cache."""

    def __init__(self, assets: Assets, directory: Path) -> None:
        super().__init__(directory=directory)
        self.assets = assets

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        name = Path(self.get_path(scope)).as_posix()
        version = _query_value(scope, "v")
        # A stale version (a page rendered before a restart) gets today's file: it
        # must not be kept for a year under the old URL.
        current = version is not None and self.assets.is_current(name, version)
        response.headers["cache-control"] = IMMUTABLE if current else REVALIDATE
        return response


def _query_value(scope: Scope, key: str) -> str | None:
    query: bytes = scope.get("query_string", b"")
    values = parse_qs(query.decode("latin-1")).get(key)
    return values[0] if values else None
