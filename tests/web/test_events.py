"""EventHub: the engine thread never waits; a slow page is dropped, not buffered forever."""

from __future__ import annotations

import asyncio
import threading

from player.http.sse import CLIENT_QUEUE_MAX
from player.web.events import BACKLOG_MAX, EventHub


def _record(seq: int) -> dict:
    return {"seq": seq, "type": "marked", "details": {"text": str(seq)}}


def test_publish_from_another_thread_reaches_clients_in_order():
    async def scenario() -> list:
        hub = EventHub(asyncio.get_running_loop(), lambda: {"state": "playing"}, tick_s=60,
                       describe=lambda r: f"marker {r['seq']}")
        client = hub.connect()
        thread = threading.Thread(target=lambda: [hub.publish(_record(i)) for i in range(5)])
        thread.start()
        got = []
        while len(got) < 2 + 2 * 5:
            got.append(await asyncio.wait_for(client.queue.get(), 5))
        thread.join()
        hub.close()
        return got

    got = asyncio.run(scenario())
    assert got[0][0] == "hello" and got[1] == ("status", {"state": "playing"})
    events = [payload for kind, payload in got[2:] if kind == "event"]
    assert [e["seq"] for e in events] == list(range(5))
    assert events[0]["description"] == "marker 0"


def test_slow_client_is_dropped_and_publish_never_blocks():
    async def scenario() -> tuple:
        hub = EventHub(asyncio.get_running_loop(), dict, tick_s=60)
        slow = hub.connect()
        fast = hub.connect()
        for i in range(CLIENT_QUEUE_MAX * 3):
            hub.publish(_record(i))
            if i % 8 == 0:  # the fast page drains as it goes; the slow one never reads
                while not fast.queue.empty():
                    fast.queue.get_nowait()
                await asyncio.sleep(0)
        await asyncio.sleep(0)
        return hub, slow, fast

    hub, slow, fast = asyncio.run(scenario())
    assert slow.dropped and slow.queue.get_nowait() is None  # told to end; its page reconnects
    assert not fast.dropped
    assert hub.client_count == 1
    assert len(hub.backlog) == BACKLOG_MAX


def test_publish_returns_while_the_event_loop_is_busy():
    """The engine's thread publishes while the page's loop is blocked: publish must not wait for it."""
    async def scenario() -> tuple[bool, int]:
        hub = EventHub(asyncio.get_running_loop(), dict, tick_s=60)
        page = hub.connect()
        engine = threading.Thread(target=lambda: [hub.publish(_record(i)) for i in range(CLIENT_QUEUE_MAX * 3)])
        engine.start()
        engine.join(30)                     # blocks this loop; a hang guard only, not a timing figure
        waited = engine.is_alive()
        await asyncio.sleep(0)
        return waited, page.queue.qsize()

    waited, queued = asyncio.run(scenario())
    assert not waited, "publish waited for the event loop"
    assert queued > 0                       # and the records arrived once the loop ran again


def test_publish_after_the_loop_closed_is_harmless():
    loop = asyncio.new_event_loop()
    hub = EventHub(loop, dict)
    loop.close()
    hub.publish(_record(1))


def test_ticker_sends_status_while_clients_listen_and_stops_after():
    async def scenario() -> tuple:
        calls = []
        hub = EventHub(asyncio.get_running_loop(), lambda: calls.append(1) or {"n": len(calls)}, tick_s=0.01)
        client = hub.connect()
        for _ in range(5):
            await asyncio.wait_for(client.queue.get(), 5)
        ticker = hub._ticker
        hub.disconnect(client)
        await asyncio.wait_for(ticker, 5)  # it ends by itself once nobody listens (no timed sleep here)
        quiet = len(calls)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return quiet, len(calls), hub, others

    quiet, later, hub, others = asyncio.run(scenario())
    assert quiet == later and others == []  # no clients: no task left to poll the status (idle CPU)
    assert hub._ticker is None
