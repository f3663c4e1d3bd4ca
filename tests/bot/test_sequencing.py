"""Updates of one chat run one at a time and in order; other chats are not held up."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.sequencing import ChatSequencedProcessor


def _update(update_id: int, chat_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "X"},
                "text": "hi",
            },
        },
        None,
    )


async def test_one_chat_in_order_other_chats_go_on() -> None:
    processor = ChatSequencedProcessor()
    log: list[str] = []
    release_first = asyncio.Event()

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        log.append(f"{name} start")
        if wait is not None:
            await wait.wait()
        await asyncio.sleep(0)
        log.append(f"{name} end")

    tasks = [
        asyncio.create_task(processor.process_update(_update(1, 7), handle("a1", release_first))),
        asyncio.create_task(processor.process_update(_update(2, 7), handle("a2"))),
        asyncio.create_task(processor.process_update(_update(3, 8), handle("b1"))),
    ]
    for _ in range(20):
        await asyncio.sleep(0)
    # Chat 8 finished while chat 7's first update is still in hand; chat 7's second waits.
    assert log == ["a1 start", "b1 start", "b1 end"]
    assert processor.chats_in_hand == 1
    release_first.set()
    await asyncio.gather(*tasks)
    assert log == ["a1 start", "b1 start", "b1 end", "a1 end", "a2 start", "a2 end"]
    assert processor.chats_in_hand == 0  # no lock is kept for a chat with nothing in hand


async def test_a_failing_update_does_not_stop_its_chat() -> None:
    processor = ChatSequencedProcessor()
    done: list[int] = []

    async def boom() -> None:
        raise RuntimeError("handler failed")

    async def fine() -> None:
        done.append(2)

    first = asyncio.create_task(processor.process_update(_update(1, 9), boom()))
    second = asyncio.create_task(processor.process_update(_update(2, 9), fine()))
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and done == [2]
    assert processor.chats_in_hand == 0
