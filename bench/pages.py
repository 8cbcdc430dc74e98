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
from pathlib import Path

import httpx

from board.assets import FIRST_LOAD_BUDGET, REPEAT_LOAD_BUDGET

ASSET = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")
IMMUTABLE = "immutable"
# Chromium offers Brotli to HTTPS origins only.
BROWSERS = {"HTTP": "gzip, deflate", "HTTPS": "gzip, deflate, br"}


def wire_bytes(response: httpx.Response) -> int:
    """Status line, headers and the body as it travelled (before httpx unpacked it)."""
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n")
    head += sum(len(name) + len(value) + 4 for name, value in response.headers.raw) + 2
    return head + response.num_bytes_downloaded


async def measure(client: httpx.AsyncClient) -> None:
    for scheme, accept in BROWSERS.items():
        print(f"-- a phone over {scheme} (Accept-Encoding: {accept})")
        await measure_one(client, {"accept-encoding": accept, "user-agent": "bench/pages.py"})


async def measure_one(client: httpx.AsyncClient, browser: dict[str, str]) -> None:
    created = await client.post("/workshops", data={"title": "Messung"})
    code = re.search(r"/w/([A-Z0-9]{6})/trainer", created.headers["location"])
    assert code, created.headers["location"]
    phone = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    async with phone:
        await phone.get(f"/join/{code.group(1)}")
        page = await phone.get(f"/w/{code.group(1)}", headers=browser)
        page.raise_for_status()
        rows = [("page", wire_bytes(page), len(page.content), page.headers.get("content-encoding"))]
        uncached = 0
        for url in dict.fromkeys(html.unescape(u) for u in ASSET.findall(page.text)):
            asset = await phone.get(url, headers=browser)
            asset.raise_for_status()
            size = wire_bytes(asset)
            rows.append((url, size, len(asset.content), asset.headers.get("content-encoding")))
            if IMMUTABLE not in asset.headers.get("cache-control", ""):
                uncached += size
    for name, wire, plain, encoding in rows:
        print(f"{wire:>8,} B on the wire {plain:>8,} B unpacked  {encoding or '-':<5} {name}")
    first = sum(row[1] for row in rows)
    repeat = rows[0][1] + uncached
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
