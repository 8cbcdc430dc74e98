"""What a phone downloads: its first load (the page and every asset) and a repeat load.

    python bench/pages.py                          # the app in-process, a fresh data folder
    python bench/pages.py --url http://127.0.0.1:8000   # a running server

Makes a workshop (one Kartenabfrage), joins it as a phone and loads the phone page the
way a browser does, then every stylesheet, script and icon the page names: twice, as
Chromium asks over plain HTTP (``Accept-Encoding: gzip, deflate``, the usual board on
a laptop in the room) and over HTTPS (``gzip, deflate, br``). Counted are the bytes
on the wire: each response's body as sent (compressed where the server compressed it)
plus its status line and headers. The repeat load is the page alone when every asset
came with an immutable Cache-Control (the browser does not ask again); an asset without
one is counted again, as a browser revalidating it would at least pay its headers. The
live socket's first frames are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

from board.assets import FIRST_LOAD_BUDGET, REPEAT_LOAD_BUDGET

ASSET = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")
IMMUTABLE = "immutable"
# Chromium offers Brotli to HTTPS origins only.
BROWSERS = {"HTTP": "gzip, deflate", "HTTPS": "gzip, deflate, br"}


class Row:
    """One answer of a load."""

    def __init__(
        self, name: str, wire: int, plain: int, headers: httpx.Headers, cached: bool
    ) -> None:
        self.name, self.wire, self.plain, self.cached = name, wire, plain, cached
        self.encoding = headers.get("content-encoding")


def wire_bytes(response: httpx.Response) -> int:
    """Status line, headers and the body as it travelled (before httpx unpacked it)."""
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n")
    head += sum(len(name) + len(value) + 4 for name, value in response.headers.raw) + 2
    return head + response.num_bytes_downloaded


async def measure(client: httpx.AsyncClient) -> None:
    await warm_up(client, {"accept-encoding": BROWSERS["HTTPS"]})
    for scheme, accept in BROWSERS.items():
        print(f"-- a phone over {scheme} (Accept-Encoding: {accept})")
        rows = await load(client, {"accept-encoding": accept, "user-agent": "bench/pages.py"})
        report(rows)


async def load(client: httpx.AsyncClient, browser: dict[str, str]) -> list[Row]:
    """A new phone's first load: (name, bytes on the wire, unpacked, encoding, cached)."""
    created = await client.post("/workshops", data={"title": "Messung"})
    code = re.search(r"/w/([A-Z0-9]{6})/trainer", created.headers["location"])
    assert code, created.headers["location"]
    phone = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    async with phone:
        await phone.get(f"/join/{code.group(1)}")
        page = await phone.get(f"/w/{code.group(1)}", headers=browser)
        page.raise_for_status()
        rows = [Row("page", wire_bytes(page), len(page.content), page.headers, cached=False)]
        for url in dict.fromkeys(html.unescape(u) for u in ASSET.findall(page.text)):
            asset = await phone.get(url, headers=browser)
            asset.raise_for_status()
            cached = IMMUTABLE in asset.headers.get("cache-control", "")
            rows.append(Row(url, wire_bytes(asset), len(asset.content), asset.headers, cached))
    return rows


async def warm_up(client: httpx.AsyncClient, browser: dict[str, str]) -> None:
    """The server as it is after its first HTTPS phone: Brotli encodings are made in a
    thread after the first request that offers br (gzip meanwhile)."""
    deadline = time.monotonic() + 30
    while any(row.encoding == "gzip" for row in (await load(client, browser))[1:]):
        if time.monotonic() > deadline:
            print("(no Brotli encodings after 30 s: the brotli module is missing?)")
            return
        await asyncio.sleep(0.05)


def report(rows: list[Row]) -> None:
    for row in rows:
        encoding = row.encoding or "-"
        print(f"{row.wire:>8,} B on the wire {row.plain:>8,} B unpacked  {encoding:<5} {row.name}")
    first = sum(row.wire for row in rows)
    repeat = sum(row.wire for row in rows if not row.cached)
    print(
        f"first load:  {first:>8,} B ({first / 1024:.1f} KiB) in {len(rows)} responses"
        f" (budget {FIRST_LOAD_BUDGET / 1024:.0f} KiB)"
    )
    print(
        f"repeat load: {repeat:>8,} B ({repeat / 1024:.1f} KiB)"
        f" (budget {REPEAT_LOAD_BUDGET / 1024:.0f} KiB)"
    )


async def in_process() -> None:
    from board.service import Service
    from board.settings import Settings
    from board.web.routes import create_app

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), secret_key="bench-pages")
        service = Service(settings)
        try:
            transport = httpx.ASGITransport(app=create_app(settings, service))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                await measure(c)
        finally:
            service.close()


async def against(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        await measure(client)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: the app in-process)")
    args = parser.parse_args()
    asyncio.run(against(args.url) if args.url else in_process())
    return 0


if __name__ == "__main__":
    sys.exit(main())
