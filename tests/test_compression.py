"""gzip sized to the answer: the same content back, about as small as zlib's largest
window makes it, and streamed answers still whole."""

from __future__ import annotations

import gzip
import random
import zlib

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, StreamingResponse
from starlette.routing import Route

from board.web.compression import gzipped
from board.web.routes import GZIP_LEVEL, GZIP_MINIMUM, PageGZip


def page_like(size: int) -> bytes:
    """HTML-ish text of ``size`` bytes: repeated markup with varying words."""
    rng = random.Random(size)
    words = ["Karte", "Punkt", "setzen", "Preise", "Werte", "dot-option", "btn--round"]
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        parts.append(f'<li class="{rng.choice(words)}">{rng.choice(words)} {rng.random()}</li>')
    return "".join(parts).encode()[:size]


@pytest.mark.parametrize("size", [GZIP_MINIMUM, 511, 512, 513, 4096, 5800, 40_000, 300_000])
def test_an_answer_comes_back_whole_and_as_small_as_with_the_largest_window(size: int) -> None:
    body = page_like(size)
    packed = gzipped(body, GZIP_LEVEL)
    assert gzip.decompress(packed) == body
    largest = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    usual = largest.compress(body) + largest.flush()
    assert len(packed) <= len(usual) * 1.03


def app_of(*routes: Route) -> httpx.AsyncClient:
    app = Starlette(routes=list(routes))
    wrapped = PageGZip(app, minimum_size=GZIP_MINIMUM, compresslevel=GZIP_LEVEL)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://t")


async def test_a_streamed_answer_still_arrives_gzipped_and_whole() -> None:
    chunks = [page_like(3000 + n) for n in range(4)]

    async def stream() -> object:
        for chunk in chunks:
            yield chunk

    async def streamed(request: object) -> StreamingResponse:
        return StreamingResponse(stream(), media_type="text/html")

    async def whole(request: object) -> HTMLResponse:
        return HTMLResponse(b"".join(chunks))

    async with app_of(Route("/s", streamed), Route("/w", whole)) as client:
        for path in ("/s", "/w"):
            response = await client.get(path, headers={"accept-encoding": "gzip"})
            assert response.headers["content-encoding"] == "gzip", path
            assert response.content == b"".join(chunks), path
