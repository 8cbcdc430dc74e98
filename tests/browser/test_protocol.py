"""The protocol from the console: one click downloads it; the HTML file makes no request."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, SCREENSHOTS, ServerProcess, phone_options
from tests.browser.test_exercises import create
from tests.browser.test_room import online, write_card

expect.set_options(timeout=15_000)


def test_download_and_open_the_html_protocol_offline(
    server: ServerProcess, new_context, tmp_path: Path
) -> None:
    trainer = new_context(LAPTOP, accept_downloads=True).new_page()
    code = create(trainer, server, "kundenbegeisterung")
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    write_card(phone, "Überraschen mit Größe <img src=x onerror=alert(1)>")
    trainer.get_by_role("button", name="Aufdecken").click()

    downloads = {}
    for fmt in ("html", "pdf", "csv", "md", "json"):
        with trainer.expect_download() as info:
            trainer.locator(f".protocol-controls a[data-format={fmt}]").click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        downloads[fmt] = path
        assert path.stat().st_size > 0
    assert downloads["pdf"].read_bytes().startswith(b"%PDF")
    assert downloads["html"].name.startswith("Protokoll-Kundenbegeisterung")

    # Open the saved HTML with every request watched: nothing may leave the file.
    viewer = new_context(LAPTOP)
    requests: list[str] = []
    viewer.on("request", lambda request: requests.append(request.url))
    dialogs: list[str] = []
    page = viewer.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(downloads["html"].as_uri())
    expect(page.locator("h1")).to_have_text("Kundenbegeisterung")
    expect(page.locator(".doc-card p")).to_have_text(
        ["Überraschen mit Größe <img src=x onerror=alert(1)>"]
    )
    assert [url for url in requests if not url.startswith("file:")] == []
    assert dialogs == []
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "protocol-html-1280.png", full_page=True)
