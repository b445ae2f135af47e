"""The shared HTTP layer: one SseHub for both pages, one page head, one common script."""

from __future__ import annotations

import asyncio
import re
from importlib import resources

import pytest

from player.http.app import PAGE_HEAD_MARK, load_static
from player.http.sse import SseHub

HEAD = resources.files("player.http").joinpath("page_head.html").read_bytes().rstrip(b"\n")
PAGES = [("player.web", "index.html"), ("player.web", "login.html"), ("player.station", "index.html"),
         ("player.station", "login.html")]


def test_a_page_gets_its_hello_then_broadcasts_in_order_and_a_refresh_each_tick() -> None:
    async def scenario() -> list:
        ticks = []
        hub = SseHub(asyncio.get_running_loop(), lambda: [("hello", {"n": 0}), ("status", {"s": 1})],
                     lambda: ticks.append(1) or ("chairs", {"tick": len(ticks)}), tick_s=0.01)
        page = hub.connect()
        hub.broadcast(("chair", {"n": 1}), ("chair", {"n": 2}))
        got = [await asyncio.wait_for(page.queue.get(), 5) for _ in range(5)]
        hub.close()
        got.append(await asyncio.wait_for(page.queue.get(), 5))
        return got

    got = asyncio.run(scenario())
    assert got[:4] == [("hello", {"n": 0}), ("status", {"s": 1}), ("chair", {"n": 1}), ("chair", {"n": 2})]
    assert got[4] == ("chairs", {"tick": 1}) and got[5] is None  # the tick, then the end on close


def test_a_page_that_falls_queue_max_behind_is_dropped_and_the_others_keep_theirs() -> None:
    async def scenario() -> tuple:
        hub = SseHub(asyncio.get_running_loop(), lambda: [("hello", {})], lambda: ("chairs", {}), tick_s=60,
                     queue_max=8)
        slow, fast = hub.connect(), hub.connect()
        for i in range(20):
            hub.broadcast(("chair", {"n": i}))
            while not fast.queue.empty():
                fast.queue.get_nowait()
        count = hub.client_count
        hub.close()
        return slow, fast, count

    slow, fast, count = asyncio.run(scenario())
    assert slow.dropped and slow.queue.get_nowait() is None
    assert not fast.dropped and count == 1


@pytest.mark.parametrize("package,name", PAGES)
def test_every_page_gets_the_one_shared_head(package: str, name: str) -> None:
    body, content_type = load_static(package)[name]
    assert content_type == "text/html" and body.startswith(HEAD + b"\n<title>")
    assert PAGE_HEAD_MARK not in body and body.count(b"<!doctype html>") == 1


def test_page_files_start_with_the_head_mark_and_hold_no_head_of_their_own() -> None:
    for package in ("player.http", "player.web", "player.station"):
        for entry in resources.files(package).joinpath("static").iterdir():
            if entry.name.endswith(".html"):
                text = entry.read_bytes()
                assert text.startswith(PAGE_HEAD_MARK) and b"<!doctype" not in text.lower(), entry.name


def test_the_common_script_is_served_to_both_pages_and_its_helpers_are_defined_once() -> None:
    chair, station = load_static("player.web"), load_static("player.station")
    assert chair["common.js"] == station["common.js"]
    for static in (chair, station):
        index = static["index.html"][0]
        assert index.index(b"/static/common.js") < min(index.index(m.group()) for m in
                                                       re.finditer(rb"/static/(app|station)\.js", index))
    scripts = {name: body for static in (chair, station) for name, (body, kind) in static.items()
               if kind == "text/javascript"}
    for helper in (rb"function fmt\(", rb"const \$ =", rb"new EventSource\("):
        assert [name for name, body in scripts.items() if re.search(helper, body)] == ["common.js"], helper
