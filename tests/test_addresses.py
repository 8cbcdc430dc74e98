"""Phones join at an address they can reach: the room's, never a loopback one.

The machines are simulated by their probes: a Debian laptop whose host name
resolves to 127.0.1.1 and whose Wi-Fi has 192.168.1.23, and a laptop with no
network at all.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import httpx
import pytest

from board.cli import for_the_room
from board.service import Service
from board.settings import Settings
from board.web import addresses
from board.web.addresses import Probe, base_url, is_loopback_host, room_addresses
from board.web.routes import create_app
from tests.conftest import create_workshop


def probe(*found: str) -> Probe:
    def answer() -> Iterable[str]:
        return list(found)

    return answer


WIFI = "192.168.1.23"
DEBIAN_LAPTOP = (
    probe(WIFI, "2001:db8::23"),  # the default routes, IPv4 and IPv6
    probe("127.0.0.1", "172.17.0.1", WIFI, "::1", "2001:db8::23", "fe80::1c2a:3bff:fe4d:5e6f"),
    probe("127.0.1.1"),  # what Debian's /etc/hosts says the host name is
)
NO_NETWORK = (probe(), probe("127.0.0.1", "::1"), probe("127.0.1.1"))
IPV6_ONLY = (probe("2001:db8::23"), probe("::1", "fe80::1", "2001:db8::23"), probe())


def test_a_debian_laptop_is_found_at_its_wifi_address_not_at_127_0_1_1() -> None:
    found = room_addresses(DEBIAN_LAPTOP)
    assert found[0] == WIFI
    assert not any(a.startswith("127.") for a in found)


def test_the_default_route_comes_first_then_every_other_interface() -> None:
    assert room_addresses(DEBIAN_LAPTOP) == [WIFI, "172.17.0.1"]


def test_ipv6_only_where_there_is_no_ipv4_and_never_link_local() -> None:
    assert room_addresses(IPV6_ONLY) == ["2001:db8::23"]
    # A server bound to 0.0.0.0 cannot be reached over IPv6 at all.
    assert room_addresses(IPV6_ONLY, ipv6=False) == []


def test_a_laptop_without_network_has_no_room_address() -> None:
    assert room_addresses(NO_NETWORK) == []


def test_each_probe_finds_nothing_when_the_system_refuses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "if_nameindex", refuse)
    monkeypatch.setattr(addresses, "IF_INET6", tmp_path / "missing")
    assert room_addresses() == []


def test_the_ipv6_interface_list_is_read_as_linux_writes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    listing = tmp_path / "if_inet6"
    listing.write_text(
        "00000000000000000000000000000001 01 80 10 80       lo\n"
        "20010db8000000000000000000000023 04 40 00 00   wlp2s0\n"
        "fe800000000000001c2a3bfffe4d5e6f 04 40 20 80   wlp2s0\n"
        "not a line\n"
    )
    monkeypatch.setattr(addresses, "IF_INET6", listing)
    assert addresses._ipv6_of_interfaces() == ["::1", "2001:db8::23", "fe80::1c2a:3bff:fe4d:5e6f"]


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.1.1", "localhost", "board.localhost", "::1", "[::1]", "0.0.0.0"]
)
def test_names_that_mean_this_machine_are_loopback(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", [WIFI, "board.example.org", "raspberrypi.local", "2001:db8::23"])
def test_names_other_devices_can_use_are_not_loopback(host: str) -> None:
    assert not is_loopback_host(host)


def test_an_ipv6_address_goes_in_brackets() -> None:
    assert base_url("2001:db8::23", 8000) == "http://[2001:db8::23]:8000"
    assert base_url(WIFI, 8000) == "http://192.168.1.23:8000"


# The pages, opened by the trainer on the laptop itself.


def board_of(settings: Settings, probes: tuple[Probe, ...]) -> Service:
    room_settings, _ = for_the_room(settings, probes)
    return Service(room_settings)


@pytest.fixture
async def room(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A board started with --host 0.0.0.0 on the Debian laptop, opened at 127.0.0.1."""
    service = board_of(settings.with_(host="0.0.0.0"), DEBIAN_LAPTOP)
    transport = httpx.ASGITransport(app=create_app(service.settings, service))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c
    service.close()


def opened_at(client: httpx.AsyncClient, url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url=url)


async def console_of(client: httpx.AsyncClient, lang: str = "en") -> tuple[str, str]:
    """A new workshop's code and its console page."""
    created = await client.post("/workshops", data={"title": "Kundenbegeisterung"})
    code = created.headers["location"].split("/")[2]
    console = await client.get(
        created.headers["location"], headers={"accept-language": lang}, follow_redirects=True
    )
    assert console.status_code == 200, console.text
    return code, console.text


async def test_board_and_console_opened_at_loopback_show_the_room_address(
    room: httpx.AsyncClient,
) -> None:
    code, console = await console_of(room)
    expected = f"http://{WIFI}:8000/join/{code}"
    for url in ("http://127.0.0.1:8000", "http://localhost:8000"):
        async with opened_at(room, url) as laptop:
            board = (await laptop.get(f"/w/{code}/board")).text
        assert expected in board
        assert "127.0.0.1" not in board and "localhost" not in board
    assert f'href="{expected}"' in console
    # The trainer link opens the console on the trainer's phone, the board link on a tablet.
    assert f'value="http://{WIFI}:8000/w/{code}/trainer?token=' in console
    assert f'href="http://{WIFI}:8000/w/{code}/board"' in console
    assert "Phones cannot reach" not in console


async def test_the_qr_code_opened_at_loopback_carries_the_room_address(
    room: httpx.AsyncClient,
) -> None:
    code = await create_workshop(room)
    at_loopback = (await room.get(f"/w/{code}/qr.svg")).content
    async with opened_at(room, f"http://{WIFI}:8000") as phone_view:
        at_room_address = (await phone_view.get(f"/w/{code}/qr.svg")).content
    async with opened_at(room, "http://board.lan:8000") as elsewhere:
        at_another_name = (await elsewhere.get(f"/w/{code}/qr.svg")).content
    assert at_loopback == at_room_address
    assert at_loopback != at_another_name


async def test_a_page_opened_at_a_real_name_keeps_that_name(room: httpx.AsyncClient) -> None:
    code = await create_workshop(room)
    async with opened_at(room, "http://board.lan:8000") as projector:
        board = (await projector.get(f"/w/{code}/board")).text
    assert f"http://board.lan:8000/join/{code}" in board
    assert WIFI not in board


async def test_the_public_url_wins_over_the_room_address(settings: Settings) -> None:
    public = settings.with_(host="0.0.0.0", public_url="https://board.example.org")
    service = board_of(public, DEBIAN_LAPTOP)
    transport = httpx.ASGITransport(app=create_app(service.settings, service))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as laptop:
        code, console = await console_of(laptop)
        board = (await laptop.get(f"/w/{code}/board")).text
    service.close()
    assert f"https://board.example.org/join/{code}" in board
    assert f'href="https://board.example.org/join/{code}"' in console
    assert "Phones cannot reach" not in console


@pytest.mark.parametrize(
    ("host", "probes", "fix"),
    [
        ("127.0.0.1", DEBIAN_LAPTOP, "Start it with --host 0.0.0.0"),
        ("0.0.0.0", NO_NETWORK, "no address in the room"),
    ],
)
async def test_the_console_says_loudly_when_phones_cannot_reach_the_board(
    settings: Settings, host: str, probes: tuple[Probe, ...], fix: str
) -> None:
    service = board_of(settings.with_(host=host), probes)
    transport = httpx.ASGITransport(app=create_app(service.settings, service))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as laptop:
        _, english = await console_of(laptop, "en")
        _, german = await console_of(laptop, "de")
    service.close()
    notice = re.search(r'<p class="flash flash--error" role="alert">(.*?)</p>', english)
    assert notice, "no notice in the console"
    assert "Phones cannot reach this address" in notice.group(1)
    assert "http://127.0.0.1:8000/join" in notice.group(1)
    assert fix in notice.group(1) and "BOARD_PUBLIC_URL" in notice.group(1)
    assert "Telefone erreichen diese Adresse nicht" in german


async def test_no_notice_behind_a_proxy_with_a_real_name(settings: Settings) -> None:
    service = Service(settings)  # listens on 127.0.0.1, reached as board.example.org
    transport = httpx.ASGITransport(app=create_app(settings, service))
    async with httpx.AsyncClient(transport=transport, base_url="https://board.example.org") as c:
        _, console = await console_of(c)
    service.close()
    assert "Phones cannot reach" not in console
