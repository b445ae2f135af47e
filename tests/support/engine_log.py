"""A session log written by the REAL session engine, for report tests (and anyone else).

`record_scripted_session(tmp_path)` builds the engine the way player/daemon.py does (the
real Mixer on FakeOutput, a FakeClock, the real playlist validator and a real playlist of
real audio files), drives it through a scripted session using only the engine's public API
(`start`, `submit`, `sync`, `status`, `close`) and returns the log it wrote. The script has
a mark from each edge, a pause and resume, a staff skip, a broken file skipped by the
player, an extension, a restart of the engine on the same data dir (30 s down), an early
advance and a stop. The hand-written logs in tests/support/records_factory.py stay as the
golden fixtures of log version 1; this one follows whatever the engine writes today, so a
renamed event or field shows up as a report test failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from player.audio.analysis import Analyzer
from player.audio.fake import FakeOutput
from player.audio.loudness import LoudnessLookup
from player.clock import FakeClock
from player.config import Config, load_config
from player.engine.eventlog import read_events
from player.engine.loop import Mixer, SessionEngine
from player.engine.records import RecordKeeper
from player.playlist.validate import load_playlist
from tests.support.audio_files import write_audio

ROOM = "Room 4"
PLAYLIST_NAME = "Scripted"
STEP_S = 0.25  # how far the fake clock moves between two engine ticks: the engine's steady-playback tick
#: ReplayGain tags, so the mixer knows every track's loudness without measuring (fast, deterministic).
TAGS = {"REPLAYGAIN_TRACK_GAIN": "-1.00 dB", "REPLAYGAIN_TRACK_PEAK": "0.5"}
PLAYLIST = """name: Scripted
crossfade: 4s
phases:
  - name: settling
    duration: 3m
    fade_in: 5s
    tracks: [settle/a1.flac, settle/a2.flac, settle/a3.flac]
  - name: peak
    duration: 4m
    tracks: [peak/b1.flac, peak/b2.flac, peak/b3.flac]
  - name: recovery
    duration: 3m
    tracks: [recover/c1.flac]
"""
TRACK_S = {"settle/a1.flac": 70.0, "settle/a2.flac": 70.0, "settle/a3.flac": 70.0, "peak/b1.flac": 100.0,
           "peak/b2.flac": 50.0, "peak/b3.flac": 200.0, "recover/c1.flac": 200.0}
BROKEN = "peak/b2.flac"  # a valid file that the output cannot play (FakeOutput's "error" fault)
MARKS = (("button", "bedside mark"), ("web", 'BP 128/82 <b>&amp;</b> "ok" =SUM(A1)'), ("cli", "patient spoke"))
PAUSE_S = 45.0
EXTEND_MIN = 2.0
RESTART_GAP_S = 30.0


@dataclass
class RecordedSession:
    """What the script did, and what the engine wrote."""

    data_dir: Path
    session_id: str
    records: list[dict]
    #: (action, session time at which it was submitted) in script order.
    actions: list[tuple[str, float]] = field(default_factory=list)


class _Player:
    """Engine + mixer + fake output on one clock, built like the daemon builds them."""

    def __init__(self, config: Config, clock: FakeClock, broken: Path, records: RecordKeeper | None = None) -> None:
        self.output = FakeOutput(clock=clock, max_gain_db=config.loudness.max_boost_db)
        self.output.add_media(broken, TRACK_S[BROKEN], fault="error")
        loudness = LoudnessLookup(config.loudness, cache_path=config.data_dir / "loudness-cache.json")
        mixer = Mixer(self.output, config, clock, Analyzer(loudness))
        self.engine = SessionEngine(config, mixer, clock, load_playlist=load_playlist, records=records)
        self.engine.start()


def make_library(root: Path) -> Path:
    """The scripted playlist and its real (silent, tagged) audio files; returns the playlist path."""
    for rel, seconds in TRACK_S.items():
        write_audio(root / rel, seconds, tags=TAGS)
    path = root / "scripted.yaml"
    path.write_text(PLAYLIST, encoding="utf-8")
    return path


class Recorder:
    """The real engine on a fake clock, driven as the script's edges would drive it."""

    def __init__(self, tmp_path: Path, records: Callable[[Path], RecordKeeper] | None = None) -> None:
        """`records(data_dir)` makes the engine's record keeper (default: the engine's own)."""
        library = tmp_path / "library"
        self.playlist = make_library(library)
        self.broken = library / BROKEN
        self.config = load_config({"room": ROOM, "data_dir": str(tmp_path / "data"), "audio": {"output": "fake"},
                                   "hardware": {"enabled": False}, "web": {"enabled": False},
                                   "session": {"resume_policy": "continue"}})
        self.clock = FakeClock()
        self.records = records
        self.player = _Player(self.config, self.clock, self.broken, self._keeper())
        self.actions: list[tuple[str, float]] = []

    def _keeper(self) -> RecordKeeper | None:
        return self.records(self.config.data_dir) if self.records else None

    def elapsed(self) -> float:
        return float(self.player.engine.status()["elapsed_s"] or 0.0)

    def submit(self, action: str, source: str, **args: object) -> dict:
        self.actions.append((action, self.elapsed()))
        return self.player.engine.submit(action, source=source, **args)

    def run(self, seconds: float) -> None:
        """Move the clock in tick-sized steps, letting the engine act after each (as in real time)."""
        for _ in range(round(seconds / STEP_S)):
            self.clock.advance(STEP_S)
            if not self.player.engine.sync():
                raise TimeoutError("the session engine did not tick")

    def restart(self, down_s: float) -> None:
        """The player stops mid-session and is down `down_s` before it starts again."""
        self.player.engine.close()
        self.clock.advance(down_s)
        self.player = _Player(self.config, self.clock, self.broken, self._keeper())

    def close(self) -> None:
        self.player.engine.close()

    def recorded(self, session_id: str) -> RecordedSession:
        """What the engine wrote for `session_id` (after `close`)."""
        records = read_events(self.config.data_dir / "sessions" / session_id / "events.jsonl")
        return RecordedSession(self.config.data_dir, session_id, records, self.actions)


def record_scripted_session(tmp_path: Path) -> RecordedSession:
    """Run the script on the real engine; the returned records are its events.jsonl."""
    rec = Recorder(tmp_path)
    try:
        session_id = rec.submit("start", "cli", playlist=str(rec.playlist))["session_id"]
        rec.run(40.0)
        rec.submit("mark", MARKS[0][0], text=MARKS[0][1])     # 40 s: settling, a1 playing
        rec.run(20.0)
        rec.submit("pause", "web")                             # 60 s
        rec.run(PAUSE_S)
        rec.submit("resume", "web")                            # 105 s (paused 45 s)
        rec.run(15.0)
        rec.submit("next", "button")                           # 120 s: a1 skipped by staff, a2 crossfades in
        rec.run(10.0)
        rec.submit("extend", "cli", minutes=EXTEND_MIN)        # 130 s: settling now ends at 180+45+120 = 345 s
        rec.run(10.0)
        rec.submit("mark", MARKS[1][0], text=MARKS[1][1])      # 140 s
        rec.run(265.0)                                         # 405 s: peak since 345 s, b1 playing
        rec.restart(RESTART_GAP_S)                             # down 30 s (resume policy: continue)
        rec.run(20.0)                                          # 455 s
        rec.submit("mark", MARKS[2][0], text=MARKS[2][1])
        rec.submit("advance", "cli")                           # peak ends early, at 455 s
        rec.run(30.0)
        rec.submit("stop", "cli")                              # 485 s
        rec.run(5.0)
    finally:
        rec.close()
    return rec.recorded(session_id)
