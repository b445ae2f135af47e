"""One contract, two outputs: written once, run on FakeOutput and on VlcOutput (real libVLC).

As in Mopidy's AudioDummyTest: the test class is written against `AudioOutput`, and a mixin
supplies the output and a way to let time pass (the fake's clock, or real waiting).
"""

from __future__ import annotations

import queue
import threading

import pytest

from player.audio.api import OutputEvent
from player.audio.fake import FakeOutput
from player.audio.gain import vlc_percent_to_db
from player.audio.vlc import VlcOutput
from player.clock import FakeClock
from player.config import AudioConfig
from tests.audio.signals import broken, sine


class OutputContract:
    """Behaviour every AudioOutput shows. Subclasses define `output` and `elapse`.

    `elapse(seconds)` lets time pass on the output's clock: the fake's injected clock, the
    real output's wall time. Waits poll a condition on it (`wait_until`); the one place that
    needs time itself to pass (a pause holds) says so.
    """

    def elapse(self, seconds: float) -> None:
        raise NotImplementedError

    def wait_until(self, predicate, timeout: float) -> bool:
        for _ in range(int(timeout / 0.02)):
            if predicate():
                return True
            self.elapse(0.02)
        return predicate()

    @pytest.fixture
    def events(self):
        return queue.Queue()

    @pytest.fixture
    def opened(self, output, events):
        output.open(events.put)
        yield output
        output.close()

    def next_event(self, events, kinds, timeout=5.0) -> OutputEvent:
        found: list[OutputEvent] = []

        def seen() -> bool:
            while not events.empty():
                ev = events.get()
                if ev.kind in kinds:
                    found.append(ev)
            return bool(found)
        assert self.wait_until(seen, timeout), f"no {kinds} event"
        return found[0]

    def test_play_reports_playing_with_the_load_token_and_time_advances(self, opened, events, tmp_path):
        path = sine(tmp_path / "tone.flac", 3.0)
        token = opened.load("A", path)
        assert opened.volume_percent("A") == 0          # a load is muted
        opened.play("A")
        ev = self.next_event(events, {"playing"})
        assert (ev.deck, ev.token) == ("A", token)
        assert self.wait_until(lambda: (opened.position_s("A") or 0) > 0.2, 5)
        assert abs(opened.duration_s("A") - 3.0) < 0.1

    def test_tokens_grow_with_every_load(self, opened, tmp_path):
        path = sine(tmp_path / "tone.flac", 1.0)
        tokens = [opened.load("A", path), opened.load("B", path), opened.load("A", path)]
        assert tokens == sorted(set(tokens))

    def test_end_of_media_reports_ended(self, opened, events, tmp_path):
        token = opened.load("B", sine(tmp_path / "short.flac", 0.5))
        opened.play("B")
        ev = self.next_event(events, {"ended"}, timeout=8)
        assert (ev.deck, ev.token) == ("B", token)

    def test_broken_file_ends_or_errors_without_progress(self, opened, events, tmp_path):
        token = opened.load("A", broken(tmp_path / "broken.flac"))
        opened.play("A")
        ev = self.next_event(events, {"ended", "error"})
        assert ev.token == token
        assert not opened.position_s("A")

    def test_gain_is_capped_and_none_mutes(self, opened, tmp_path):
        opened.load("A", sine(tmp_path / "tone.flac", 1.0))
        opened.set_gain_db("A", -20.0)
        assert abs(vlc_percent_to_db(opened.volume_percent("A")) - -20) < 0.6
        opened.set_gain_db("A", +12.0)
        assert vlc_percent_to_db(opened.volume_percent("A")) <= -6.0
        opened.set_gain_db("A", None)
        assert opened.volume_percent("A") == 0

    def test_pause_holds_and_play_continues(self, opened, events, tmp_path):
        opened.load("A", sine(tmp_path / "tone.flac", 5.0))
        opened.play("A")
        assert self.wait_until(lambda: (opened.position_s("A") or 0) > 0.3, 5)
        opened.pause("A")
        self.elapse(0.3)                 # a pause holds over time: let it pass (the fake's clock, or real time)
        held = opened.position_s("A")
        self.elapse(0.6)
        assert opened.position_s("A") == held
        opened.play("A")
        assert self.wait_until(lambda: (opened.position_s("A") or 0) > held, 5)

    def test_two_decks_play_at_once_and_stop_clears(self, opened, tmp_path):
        for deck in "AB":
            opened.load(deck, sine(tmp_path / f"{deck}.flac", 3.0))
            opened.play(deck)
        assert self.wait_until(lambda: all((opened.position_s(d) or 0) > 0.2 for d in "AB"), 5)
        opened.stop("A")
        assert opened.position_s("A") is None and opened.volume_percent("A") == 0
        assert opened.position_s("B") is not None

    def test_device_present_and_close_twice(self, output, events):
        output.open(events.put)
        assert output.device_ok()
        output.close()
        output.close()


class TestFakeOutput(OutputContract):
    @pytest.fixture
    def output(self):
        self.clock = FakeClock()
        self.fake = FakeOutput(self.clock, max_gain_db=-6.0)
        return self.fake

    def elapse(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.fake.run_due()


@pytest.mark.real_audio
class TestVlcOutput(OutputContract):
    @pytest.fixture
    def output(self, audio_sink):
        return VlcOutput(AudioConfig(device="pulse"), max_gain_db=-6.0)

    def elapse(self, seconds: float) -> None:
        threading.Event().wait(seconds)
