"""Static files under versioned URLs: the version is the content's, read once."""

from __future__ import annotations

from pathlib import Path

import pytest

from board.assets import Assets, content_hash, shipped


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_file_is_named_by_its_path_and_its_contents(tmp_path):
    write(tmp_path / "js" / "live.js", "console.log(1);")
    url = Assets(tmp_path).url("js/live.js")
    assert url.startswith("/static/js/live.js?v=")
    assert url.endswith(content_hash(b"console.log(1);"))


def test_a_changed_file_gets_a_new_url_an_unchanged_one_keeps_its_own(tmp_path):
    write(tmp_path / "js" / "live.js", "console.log(1);")
    write(tmp_path / "css" / "base.css", "body { margin: 0 }")
    before = Assets(tmp_path)
    write(tmp_path / "js" / "live.js", "console.log(2);")
    after = Assets(tmp_path)
    assert after.url("js/live.js") != before.url("js/live.js")
    assert after.url("css/base.css") == before.url("css/base.css")


def test_the_hash_tells_contents_apart_and_is_stable():
    assert content_hash(b"a") == content_hash(b"a")
    assert content_hash(b"a") != content_hash(b"b")


def test_an_unknown_asset_fails_when_the_page_is_rendered(tmp_path):
    with pytest.raises(KeyError):
        Assets(tmp_path).url("js/missing.js")


def test_only_the_current_version_counts_as_current(tmp_path):
    write(tmp_path / "favicon.svg", "<svg/>")
    assets = Assets(tmp_path)
    version = assets.url("favicon.svg").rpartition("=")[2]
    assert assets.is_current("favicon.svg", version)
    assert not assets.is_current("favicon.svg", "0" * len(version))
    assert not assets.is_current("nothing.svg", version)


def test_every_shipped_file_has_a_version():
    assert {"js/live.js", "css/base.css", "vendor/htmx-2.0.11.min.js"} <= set(shipped().versions)
