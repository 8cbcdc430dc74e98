"""Static files under versioned URLs, bundled per screen, compressed once; what a phone
downloads."""

from __future__ import annotations

import asyncio
import gzip
import html
import re
import time
from pathlib import Path

import httpx
import pytest
import tinycss2

from board.assets import (
    BUNDLE,
    BUNDLES,
    FIRST_LOAD_BUDGET,
    IMMUTABLE,
    REPEAT_LOAD_BUDGET,
    Assets,
    accepted_encodings,
    brotli,
    content_hash,
    lean,
    shipped,
)
from board.settings import STATIC_DIR
from tests.conftest import create_workshop, join, other_device


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


# -- bundles ---------------------------------------------------------------------------


def test_a_bundle_is_its_files_in_order_and_changes_with_any_of_them(tmp_path):
    write(tmp_path / "js" / "a.js", "(function () { window.a = 1; })()")
    write(tmp_path / "js" / "b.js", "(function () { window.b = 2; })();")
    bundles = {"page.js": ("js/a.js", "js/b.js")}
    before = Assets(tmp_path, bundles)
    body = before.assets["bundle/page.js"].body.decode()
    # The ; keeps the second file's ( from calling what the first left open.
    assert body.index("window.a") < body.index(";\n(function () { window.b")
    assert before.sources("bundle/page.js") == ("js/a.js", "js/b.js")
    write(tmp_path / "js" / "b.js", "(function () { window.b = 3; })();")
    after = Assets(tmp_path, bundles)
    assert after.url("bundle/page.js") != before.url("bundle/page.js")
    assert after.url("js/a.js") == before.url("js/a.js")


def test_a_bundle_of_a_missing_file_fails_at_startup(tmp_path):
    write(tmp_path / "css" / "base.css", "body { margin: 0 }")
    with pytest.raises(KeyError):
        Assets(tmp_path, {"page.css": ("css/base.css", "css/gone.css")})


def test_a_script_loses_its_comment_lines_and_nothing_else():
    script = (
        b"/* What the file does,\n   over two lines. */\n"
        b"(function () {\n"
        b"  // why the next line\n"
        b"  const url = 'http://example.org/x'; // a note after code stays\n"
        b"  /* one line */\n"
        b"  const re = /a*/; const b = 2 /* inline stays */;\n"
        b"})();\n"
    )
    assert lean("js/x.js", script) == (
        b"(function () {\n"
        b"  const url = 'http://example.org/x'; // a note after code stays\n"
        b"  const re = /a*/; const b = 2 /* inline stays */;\n"
        b"})();\n"
    )


def test_a_script_with_a_template_literal_or_from_a_vendor_stays_as_it_is():
    literal = b"const s = `\n// not a comment inside a template literal\n`;\n"
    assert lean("js/x.js", literal) == literal
    vendor = b"/*! licence */\nvar lib = 1;\n"
    assert lean("vendor/lib-1.0.js", vendor) == vendor


def tokens(css: str) -> list[str]:
    """A stylesheet as the browser reads it: its tokens, comments gone, each run of
    whitespace one space."""
    out: list[str] = []
    for token in tinycss2.parse_component_value_list(css, skip_comments=True):
        text = " " if token.type == "whitespace" else tinycss2.serialize([token])
        if not (text == " " and out and out[-1] == " "):
            out.append(text)
    while out and out[-1] == " ":
        out.pop()
    return out[1:] if out and out[0] == " " else out


@pytest.mark.parametrize("name", [name for name in BUNDLES if name.endswith(".css")])
def test_a_shipped_stylesheet_bundle_reads_as_its_files_one_after_the_other(name):
    bundled = shipped().assets[BUNDLE + name].body.decode()
    sources = "\n".join((STATIC_DIR / source).read_text() for source in BUNDLES[name])
    assert len(bundled) < len(sources)  # the comments are gone
    assert tokens(bundled) == tokens(sources)


def test_the_phone_loads_its_own_stylesheets_only():
    assert shipped().sources("bundle/phone.css") == (
        "css/base.css",
        "css/phone.css",
        "css/results.css",
    )


# -- encodings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip, deflate, br", {"gzip", "deflate", "br"}),
        ("br;q=1.0, gzip;q=0.8", {"br", "gzip"}),
        ("gzip;q=0, br", {"br"}),
        ("GZIP ; q=0.000", set()),
        ("identity", {"identity"}),
        ("", set()),
    ],
)
def test_the_codings_a_request_accepts(header, accepted):
    assert accepted_encodings({"accept-encoding": header}) == accepted


async def raw_get(
    client: httpx.AsyncClient, url: str, **headers: str
) -> tuple[httpx.Response, bytes]:
    """The answer and its body as it came over the wire (not unpacked)."""
    async with client.stream("GET", url, headers=headers) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


async def test_a_bundle_goes_out_as_it_was_gzipped_at_startup(client):
    asset = shipped().assets["bundle/phone.js"]
    url = shipped().url("bundle/phone.js")
    response, raw = await raw_get(client, url, **{"accept-encoding": "gzip, deflate"})
    assert response.headers["content-encoding"] == "gzip"
    assert raw == asset.gzipped  # the bytes made once, not compressed again per request
    assert gzip.decompress(raw) == asset.body
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers.get_list("vary") == ["Accept-Encoding"]
    assert int(response.headers["content-length"]) == len(raw)
    assert "script-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.skipif(brotli is None, reason="the brotli module is not installed")
async def test_a_browser_that_offers_br_gets_brotli_once_it_is_made(client):
    asset = shipped().assets["bundle/phone.css"]
    url = shipped().url("bundle/phone.css")
    deadline = time.monotonic() + 10
    while True:  # the first ask starts the Brotli thread and gets gzip meanwhile
        response, raw = await raw_get(client, url, **{"accept-encoding": "gzip, deflate, br"})
        if response.headers["content-encoding"] == "br":
            break
        assert raw == asset.gzipped
        assert time.monotonic() < deadline, "no Brotli encoding within 10 s"
        await asyncio.sleep(0.01)
    assert brotli is not None and brotli.decompress(raw) == asset.body
    assert asset.gzipped is not None and len(raw) < len(asset.gzipped)
    assert response.headers.get_list("vary") == ["Accept-Encoding"]


async def test_a_client_without_gzip_gets_the_plain_file_and_a_shared_cache_keeps_them_apart(
    client,
):
    url = shipped().url("bundle/all.css")
    response, raw = await raw_get(client, url, **{"accept-encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert raw == shipped().assets["bundle/all.css"].body
    assert response.headers.get_list("vary") == ["Accept-Encoding"]


async def test_each_encoding_has_its_own_etag_and_a_matching_one_is_not_sent_again(client):
    url = shipped().url("bundle/page.js")
    packed = await client.get(url, headers={"accept-encoding": "gzip"})
    plain = await client.get(url, headers={"accept-encoding": "identity"})
    assert packed.headers["etag"] != plain.headers["etag"]
    again = await client.get(
        url, headers={"accept-encoding": "gzip", "if-none-match": packed.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == packed.headers["etag"]
    other = await client.get(
        url, headers={"accept-encoding": "identity", "if-none-match": packed.headers["etag"]}
    )
    assert other.status_code == 200 and other.content == shipped().assets["bundle/page.js"].body


async def test_an_unknown_static_file_is_a_404_page(client):
    assert (await client.get("/static/bundle/nothing.js")).status_code == 404
    assert (await client.get("/static/../board/assets.py")).status_code == 404


# -- what a phone downloads ------------------------------------------------------------

STATIC_LINK = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")
A_BROWSER_OVER_HTTP = {"accept-encoding": "gzip, deflate"}


def on_the_wire(response: httpx.Response) -> int:
    """Status line, headers and the body as it travelled (before httpx unpacked it)."""
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n") + 2
    head += sum(len(name) + len(value) + 4 for name, value in response.headers.raw)
    return head + response.num_bytes_downloaded


async def test_a_phone_first_load_and_repeat_load_stay_within_the_budget(client):
    code = await create_workshop(client)
    phone = other_device(client)
    await join(phone, code)
    page = await phone.get(f"/w/{code}", headers=A_BROWSER_OVER_HTTP)
    assert page.headers["content-encoding"] == "gzip"
    links = [html.unescape(url) for url in STATIC_LINK.findall(page.text)]
    first = on_the_wire(page)
    for url in dict.fromkeys(links):
        asset = await phone.get(url, headers=A_BROWSER_OVER_HTTP)
        assert asset.status_code == 200, url
        # Kept for good: the repeat load asks for none of them.
        assert asset.headers["cache-control"] == IMMUTABLE, url
        first += on_the_wire(asset)
    assert len(links) <= 3  # a stylesheet, a script, the icon
    assert first <= FIRST_LOAD_BUDGET
    assert on_the_wire(page) <= REPEAT_LOAD_BUDGET


async def test_every_screen_links_only_assets_that_are_there(client):
    code = await create_workshop(client)
    phone = other_device(client)
    await join(phone, code)
    pages = {
        "/": client,
        "/join": phone,
        f"/w/{code}": phone,
        f"/w/{code}/wall": phone,
        f"/w/{code}/board": client,
        f"/w/{code}/trainer": client,
        "/nowhere": client,
    }
    for path, device in pages.items():
        page = await device.get(path)
        links = [html.unescape(url) for url in STATIC_LINK.findall(page.text)]
        assert links, path
        for url in links:
            name = url.removeprefix("/static/").partition("?")[0]
            assert url == shipped().url(name), (path, url)  # the current version
            assert (await device.get(url)).status_code == 200, (path, url)
