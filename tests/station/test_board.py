"""The station's pure core: messages in, tiles out; repeats dropped, urgency order, silence."""

from __future__ import annotations

import json

import pytest

from player.mqtt.topics import Topics, room_slug, split_topic
from player.station.board import DUE, FAULT, GONE, IDLE, RUNNING, WILL_HOLD_S, Board, next_checkpoint

P = "session-player"


def status(room: str, **fields: object) -> bytes:
    return json.dumps({"room": room, "state": "idle", "faults": [], **fields}).encode()


def event(seq: int, session: str | None = "s1", boot: str = "b1", type_: str = "marked", feed_seq: int = 0) -> bytes:
    return json.dumps({"seq": seq, "session_id": session, "boot": boot, "feed_seq": feed_seq or seq, "type": type_,
                       "details": {"text": f"m{seq}"}, "elapsed_s": float(seq)}).encode()


@pytest.mark.parametrize(("room", "slug"), [("Room 3", "room-3"), ("Salle Été / 2", "salle-ete-2"),
                                            ("a+b#c", "a-b-c"), ("Ward_7", "ward_7"), ("Zimmer Ö", "zimmer-o")])
def test_room_slugs_are_safe_topic_levels(room, slug):
    assert room_slug(room) == slug
    topics = Topics(P, room_slug(room))
    assert split_topic(P, topics.reply) == (slug, "control/reply")
    assert not any(c in room_slug(room) for c in "+#/ ")


def test_labels_without_ascii_letters_do_not_collide():
    slugs = {room_slug(r) for r in ("病室 1", "病室 2", "病室", "///", "Zimmer 病室")}
    assert len(slugs) == 5
    assert room_slug("病室 2").startswith("2-") and room_slug("///").startswith("room-")
    assert all(s.isascii() and not set(s) & set("+#/ ") for s in slugs)


def test_split_topic_ignores_anything_else():
    assert split_topic(P, "session-player/room-3/status") == ("room-3", "status")
    assert split_topic(P, "other/room-3/status") is None
    assert split_topic(P, "session-player/room-3/whatever") is None
    assert split_topic(P, "session-player//status") is None


def test_events_repeated_after_a_reconnect_are_dropped_and_streams_kept_apart():
    board = Board(P)
    topic = "session-player/room-3/events"
    for seq in (1, 2, 3, 2, 3, 4):
        board.receive(topic, event(seq), 0.0)
    board.receive(topic, event(1, session=None, boot="b1", feed_seq=5), 0.0)   # outside a session: by run
    board.receive(topic, event(1, session=None, boot="b1", feed_seq=9), 0.0)   # seq 1 again after a session
    board.receive(topic, event(1, session=None, boot="b1", feed_seq=9), 0.0)   # a repeat
    board.receive(topic, event(1, session=None, boot="b2", feed_seq=1), 0.0)   # the chair restarted
    board.receive(topic, event(5, session="s1", boot="b2", feed_seq=2), 0.0)   # its session goes on
    board.receive(topic, event(4, session="s1", boot="b2", feed_seq=3), 0.0)   # re-sent from before: a repeat
    chair = board.chairs["room-3"]
    assert [(e["session_id"], e["seq"]) for e in chair.events] == [("s1", 1), ("s1", 2), ("s1", 3), ("s1", 4),
                                                                    (None, 1), (None, 1), (None, 1), ("s1", 5)]
    assert chair.repeats == 4
    assert chair.events[0]["description"] == "marker: m1"


def test_malformed_messages_are_counted_not_shown():
    board = Board(P)
    assert board.receive("session-player/room-3/status", b"not json", 0.0) is None
    assert board.receive("session-player/room-3/status", b"[1, 2]", 0.0) is None
    assert board.receive("session-player/room-3/events", b'{"seq": "x"}', 0.0) is None
    assert board.receive("session-player/room-3/online", b"maybe", 0.0) is None
    assert board.receive("session-player/room-3/control", b'{"action": "pause"}', 0.0) is None
    assert board.ignored == 4


def test_retained_messages_say_nothing_about_when_the_chair_was_seen():
    board = Board(P)
    board.receive("session-player/room-3/online", b"offline", 0.0, retained=True)
    board.receive("session-player/room-3/status", status("Room 3"), 0.0, retained=True)
    view = board.views(5.0)[0]
    assert view["online"] is False and view["last_seen_s"] is None and view["room"] == "Room 3"
    board.receive("session-player/room-3/status", status("Room 3"), 6.0)
    view = board.views(8.0)[0]
    assert view["online"] is True and view["last_seen_s"] == 2.0


def test_tiles_sort_by_fault_then_due_checkpoint_then_time_left():
    board = Board(P, {"Room 6": "http://room6.clinic:8080/"})
    rows = {
        "Room 1": status("Room 1", state="playing", phase_remaining_s=900.0),
        "Room 2": status("Room 2", state="playing", phase_remaining_s=60.0),
        "Room 3": status("Room 3", state="playing", phase_remaining_s=800.0, faults=["audio device lost"]),
        "Room 4": status("Room 4", state="paused", phase_remaining_s=500.0, elapsed_s=100.0,
                         checkpoints=[{"at_s": 90.0, "text": "BP", "state": "due"},
                                      {"at_s": 300.0, "text": "Pulse", "state": "upcoming"}]),
        "Room 5": status("Room 5"),
        "Room 6": status("Room 6", state="playing", phase_remaining_s=10.0),
        "Room 7": status("Room 7"),
    }
    for room, body in rows.items():
        board.receive(f"session-player/{room_slug(room)}/status", body, 0.0)
    board.receive("session-player/room-6/online", b"offline", 1.0)   # gone mid-session
    board.receive("session-player/room-7/online", b"offline", 1.0)   # gone while idle
    board.expire(1.0 + WILL_HOLD_S)                 # the station kept the broker: the will stands
    views = board.views(2.0)
    assert [v["room"] for v in views] == ["Room 6", "Room 3", "Room 4", "Room 2", "Room 1", "Room 5", "Room 7"]
    assert [v["urgency"] for v in views] == [FAULT, FAULT, DUE, RUNNING, RUNNING, IDLE, GONE]
    assert views[0]["url"] == "http://room6.clinic:8080/"
    assert views[2]["next_checkpoint"] == {"at_s": 90.0, "text": "BP", "state": "due", "in_s": -10.0}


def test_next_checkpoint_reads_the_status_defensively():
    assert next_checkpoint({}) is None
    assert next_checkpoint({"checkpoints": "soon"}) is None
    assert next_checkpoint({"checkpoints": [{"text": "no time"}, 5, {"at_s": "x"}]}) is None
    upcoming = next_checkpoint({"elapsed_s": 50, "checkpoints": [
        {"at_s": 600, "text": "late", "state": "upcoming"}, {"at_s": 120, "text": "early", "state": "upcoming"},
        {"at_s": 30, "text": "old", "state": "done", "done_at_s": 31}]})
    assert upcoming == {"at_s": 120, "text": "early", "state": "upcoming", "in_s": 70.0}


def test_a_silent_chair_is_shown_offline_after_one_and_a_half_of_its_intervals():
    board = Board(P)
    feed = {"keepalive_s": 4, "status_interval_s": 1}
    board.receive("session-player/room-3/status", status("Room 3", feed=feed), 10.0)
    assert board.expire(15.9) == []
    assert [c.slug for c in board.expire(16.1)] == ["room-3"]
    assert board.views(16.1)[0]["online"] is False and board.views(16.1)[0]["silent"] is True
    board.receive("session-player/room-3/status", status("Room 3", feed=feed), 17.0)
    assert board.views(17.0)[0]["online"] is True
    board.grace(100.0)                       # the station was away itself: silence counts from now
    assert board.expire(105.0) == []
    quiet = Board(P)
    quiet.receive("session-player/room-9/status", status("Room 9"), 0.0)   # says nothing: 30 s keepalive
    assert quiet.expire(44.0) == [] and len(quiet.expire(46.0)) == 1


def test_exact_details_of_the_tiles():
    board = Board(P)
    # A status interval longer than the keepalive sets the silence limit (1.5 x 20 s).
    board.receive("session-player/room-1/status", status("Room 1", feed={"keepalive_s": 4, "status_interval_s": 20}),
                  0.0)
    assert board.expire(29.9) == [] and len(board.expire(30.1)) == 1
    assert board.receive("session-player/room-1/status", status("Room 1"), 31.0).silent is False
    # A faulted state is a fault even with no fault text; an offline chair in a session too.
    board.receive("session-player/room-2/status", status("Room 2", state="faulted"), 0.0)
    assert board.view(board.chairs["room-2"], 0.0)["urgency"] == FAULT
    # Presence: a live "online" counts as seen; returns the chair; a live "offline" does not count.
    chair = board.receive("session-player/room-3/online", b"online", 5.0)
    assert chair is board.chairs["room-3"] and chair.last_seen == 5.0 and chair.online is True
    board.receive("session-player/room-3/online", b"offline", 9.0)
    assert chair.last_seen == 5.0 and chair.online is False
    assert board.receive("session-player/room-3/online", "online".encode("utf-16"), 9.0) is None
    # A new event returns its chair; a repeat returns None.
    assert board.receive("session-player/room-3/events", event(1), 10.0) is chair
    assert board.receive("session-player/room-3/events", event(1), 10.0) is None
    # Time to a checkpoint: unknown without elapsed time, else rounded to 0.1 s.
    cps = [{"at_s": 100.0, "text": "BP", "state": "upcoming"}]
    assert next_checkpoint({"checkpoints": cps})["in_s"] is None
    assert next_checkpoint({"checkpoints": cps, "elapsed_s": 12.345})["in_s"] == 87.7


def test_a_will_sent_as_the_broker_shuts_down_leaves_the_tile_as_it_was():
    board = Board(P)
    board.receive("session-player/room-1/status", status("Room 1", state="playing"), 0.0)
    board.receive("session-player/room-1/online", b"online", 0.0)
    assert board.receive("session-player/room-1/online", b"offline", 1.0) is None   # held
    assert board.chairs["room-1"].online is True and board.expire(1.0 + WILL_HOLD_S / 2) == []
    board.broker_lost()                                         # the station lost the broker right after
    assert board.expire(5.0) == [] and board.chairs["room-1"].online is True
    board.grace(10.0)
    board.receive("session-player/room-1/online", b"offline", 10.0, retained=True)   # old news on reconnect
    assert board.chairs["room-1"].online is True
    assert [c.slug for c in board.expire(10.0 + board.chairs["room-1"].silence_limit_s() + 1)] == ["room-1"]
    assert board.chairs["room-1"].silent   # the silence rule decided


def test_a_will_while_the_station_keeps_the_broker_shows_the_chair_offline_mid_session():
    board = Board(P)
    board.receive("session-player/room-1/status", status("Room 1", state="playing"), 0.0)
    board.receive("session-player/room-1/online", b"offline", 1.0)
    assert [c.slug for c in board.expire(1.0 + WILL_HOLD_S)] == ["room-1"]
    assert board.views(2.0)[0]["urgency"] == FAULT and not board.chairs["room-1"].silent
    board.receive("session-player/room-2/status", status("Room 2", state="idle"), 0.0)
    board.receive("session-player/room-2/online", b"offline", 1.0)     # idle: at once
    assert board.chairs["room-2"].online is False


def test_the_topic_names_the_chair_not_what_it_says_of_itself():
    board = Board(P)
    board.receive("session-player/room-a/status", status("Room B", state="playing"), 0.0)
    board.receive("session-player/room-3/status", status("Room 3"), 0.0)
    board.receive("session-player/salle-ete/status", status("Salle Été"), 0.0)
    assert {v["room"] for v in board.views(1.0)} == {"room-a", "Room 3", "Salle Été"}
    board.receive("session-player/room-3/status", status("Room\u202e 3"), 0.0)   # the same slug, a BIDI override
    assert board.chairs["room-3"].room == "room-3"


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "JavaScript:alert(1)", " javascript:x",
                                 "java\tscript:alert(1)", "data:text/html,<script>x</script>", "vbscript:x",
                                 "//evil.example/", "http://", "http://a b/", "file:///etc/passwd", 5, None])
def test_a_chair_link_is_http_or_https_only(url):
    board = Board(P)
    board.receive("session-player/room-1/status", json.dumps({"room": "Room 1", "web_url": url}).encode(), 0.0)
    assert board.views(1.0)[0]["url"] is None


def test_the_stations_own_chair_urls_come_before_what_a_chair_says():
    board = Board(P, {"Room 1": "https://room1.clinic/"})
    board.receive("session-player/room-1/status", status("Room 1", web_url="https://phish.example/"), 0.0)
    board.receive("session-player/room-2/status", status("Room 2", web_url="HTTP://room2.clinic:8080/x?y#z"), 0.0)
    urls = {v["room"]: v["url"] for v in board.views(1.0)}
    assert urls == {"Room 1": "https://room1.clinic/", "Room 2": "HTTP://room2.clinic:8080/x?y#z"}


def test_a_20_mb_status_is_refused_unread_and_the_last_good_one_kept():
    board = Board(P)
    board.receive("session-player/room-1/status", status("Room 1", state="playing"), 0.0)
    huge = json.dumps({"room": "Room 1", "state": "idle", "pad": "x" * (20 << 20)}).encode()
    assert board.receive("session-player/room-1/status", huge, 1.0) is None
    assert board.chairs["room-1"].status["state"] == "playing" and board.ignored == 1
