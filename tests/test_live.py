"""Full renders: one per audience and sequence number, however many sockets ask."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from board.errors import Refused
from board.hub import Frame
from board.service import Service


@pytest.fixture
def renders(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every render of an audience's regions, as (role, language)."""
    done: list[tuple[str, str]] = []
    render = service.live.render

    def counted(snap: Any, role: str, lang: str, *args: Any, **kwargs: Any) -> str:
        done.append((role, lang))
        return render(snap, role, lang, *args, **kwargs)

    monkeypatch.setattr(service.live, "render", counted)
    return done


async def full_frames(
    service: Service, workshop_id: str, times: int, role: str = "board", lang: str = "de"
) -> list[Frame]:
    asks = (service.live.full_frame(workshop_id, role, lang, None) for _ in range(times))
    return list(await asyncio.gather(*asks))


async def test_a_hundred_boards_resyncing_at_one_seq_cost_one_render(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    await service.add_card(workshop, None, None, "Freundlich am Telefon", "yellow")

    frames = await full_frames(service, workshop.id, 100)
    frames += await full_frames(service, workshop.id, 1)  # one more, just after

    assert renders == [("board", "de")]
    assert len({frame.text for frame in frames}) == 1
    assert "Freundlich am Telefon" in frames[0].text


async def test_a_write_gives_the_next_full_frame_a_fresh_render(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    before = (await full_frames(service, workshop.id, 1))[0]

    await service.add_card(workshop, None, None, "Schnelle Antworten", "yellow")
    after = (await full_frames(service, workshop.id, 1))[0]

    assert after.seq > before.seq
    assert "Schnelle Antworten" in after.text and "Schnelle Antworten" not in before.text
    assert len(renders) == 2


async def test_each_audience_has_its_own_render(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    await full_frames(service, workshop.id, 3, "board", "de")
    await full_frames(service, workshop.id, 3, "board", "en")
    await full_frames(service, workshop.id, 3, "trainer", "de")
    assert sorted(renders) == [("board", "de"), ("board", "en"), ("trainer", "de")]


async def test_the_presence_count_is_always_current_though_it_does_not_change_the_seq(
    service, renders
):
    workshop = await service.create_workshop("Kundenbegeisterung")
    alone = (await full_frames(service, workshop.id, 1))[0]
    service.live.arrived(workshop.id, "phone-1")
    service.live.arrived(workshop.id, "phone-2")

    two = (await full_frames(service, workshop.id, 1))[0]

    assert two.seq == alone.seq
    assert "<b data-present>0</b>" in alone.text
    assert "<b data-present>2</b>" in two.text
    assert len(renders) == 1  # the rest of the board did not change


async def test_phones_share_the_step_and_each_gets_its_own_section(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    anna = await service.join(workshop)
    ben = await service.join(workshop)
    await service.add_card(workshop, anna.id, "a1", "Annas Karte", "yellow")

    frames = await asyncio.gather(
        *(service.live.full_frame(workshop.id, "phone", "de", p.id) for p in (anna, ben))
    )

    assert renders == [("phone", "de")]
    assert "Annas Karte" in frames[0].text and "Annas Karte" not in frames[1].text
    assert all(frame.text.count('id="seq"') == 1 for frame in frames)


async def test_a_deleted_workshop_has_no_full_frame(service):
    workshop = await service.create_workshop("Kundenbegeisterung")
    await service.delete_workshop(workshop)
    with pytest.raises(Refused):
        await service.live.full_frame(workshop.id, "board", "de", None)
