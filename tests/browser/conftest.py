"""Browser tests: Playwright drives Debian's Chromium against a real server process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from tests.serverprocess import ServerProcess

CHROMIUM = os.environ.get("BOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1280, "height": 800}
DEADLINE = 15.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser``, so ``-m "not browser"`` leaves them out.

    A ``pytestmark`` in a conftest marks nothing: pytest reads it only from test modules.
    """
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "data")
    process.start()
    yield process
    process.stop()


# Module scope, not session: sync Playwright keeps an event loop running in
# this thread while it is open, which the asyncio tests after it cannot share.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/test, which installs it")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[object]:
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int] = LAPTOP, **options: object) -> BrowserContext:
        options.setdefault("locale", "de-DE")
        context = browser.new_context(viewport=viewport, **options)  # type: ignore[arg-type]
        context.set_default_timeout(DEADLINE * 1000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def phone_options() -> dict[str, object]:
    return {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


# Figures read in the page, as plain data: boxes of elements, and no sideways scrolling.
BOXES = (
    "els => els.map(e => { const r = e.getBoundingClientRect();"
    " return [r.left, r.top, r.right, r.bottom]; })"
)
NO_SIDEWAYS_SCROLL = "() => document.scrollingElement.scrollWidth <= window.innerWidth"
