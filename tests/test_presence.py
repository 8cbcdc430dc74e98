"""Who is connected: a phone counts once, however many of its sockets are open."""

from __future__ import annotations

from board.live.presence import MemoryPresence


async def test_a_phone_with_two_tabs_counts_once_until_both_are_closed() -> None:
    presence = MemoryPresence()
    await presence.arrived("ws", "anna")
    await presence.arrived("ws", "anna")
    await presence.arrived("ws", "ben")
    assert presence.count("ws") == 2
    await presence.left("ws", "anna")
    assert presence.count("ws") == 2
    await presence.left("ws", "anna")
    assert presence.count("ws") == 1


async def test_workshops_are_counted_apart_and_an_empty_one_is_forgotten() -> None:
    presence = MemoryPresence()
    await presence.arrived("ws", "anna")
    await presence.arrived("other", "ben")
    await presence.left("ws", "anna")
    await presence.left("ws", "anna")  # a stray second close is harmless
    assert (presence.count("ws"), presence.count("other")) == (0, 1)
    assert "ws" not in presence._present  # noqa: SLF001 - what an empty room costs
