"""How many modules a bedside press and a staff "calmer" from the page cross before the audio output hears them.

A maintainer follows a control from the edge to the device call with "go to definition"; every
module on the way is one more file to hold in the head. This test measures that path on the
real parts: the real `Bedside` on gpiozero's MockFactory (or the real page server over a real
socket), the real `SessionEngine` and its `Mixer` (player/engine/loop.py), the real session and
mix cores, into the simulated `FakeOutput` in libVLC's place (player/audio/fake.py stands where
player/audio/vlc.py would).

What counts as *crossed*: the distinct ``player.*`` modules with a frame on the call stack at
each hand-over of the control on its way to the device, endpoints included:

* on the edge's thread, when it calls `SessionEngine.submit` (for the page: also the
  coroutines awaiting that call on the server's loop: the middlewares and the handler);
* on the engine thread, while it acts on that control (inside `SessionEngine._on_command`):
  where each decision is made, i.e. each typed effect the session core emits for the mixer
  (player/core/effects.py) and each output command the mix core emits for the device
  (player/core/mix_commands.py) is constructed;
* and the first call the output receives for it (load, play, pause or a gain), the output's
  module included.

Frozen-dataclass constructors themselves are vocabulary, not hops (their frames are skipped);
helpers a hop calls and returns from (gesture timing, status snapshots, records) are not on
these stacks and are not counted. The figures print with ``-s``; the assertions hold them.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from types import FrameType

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from player.audio.fake import FakeOutput
from player.clock import FakeClock
from player.daemon import Daemon
from player.hardware import Bedside
from player.web import WebServer
from tests.engine.conftest import daemon_config, demo_playlist  # noqa: F401 - demo_playlist is a fixture
from tests.engine.test_daemon_calmer import calmer_playlist  # noqa: F401 - a fixture
from tests.web.conftest import Http

#: The issue's targets ("Done when"): a bedside press crosses at most 5 modules, a calmer request 7.
PRESS_TARGET = 5
CALMER_TARGET = 7
#: What this layout reaches (docs/design.md, "Call paths, measured"); a new hop fails here.
PRESS_MEASURED = 5
CALMER_MEASURED = 6

_MUSIC_EFFECTS = {"Play", "Crossfade", "QueueNext", "BeginLevel", "PauseAudio", "ResumeAudio", "StopAudio",
                  "EmergencyStopAudio", "ChangeLevel"}
_DEVICE_COMMANDS = {"LoadDeck", "PlayDeck", "PauseDeck", "SetGain", "ReleaseDeck"}
_OUTPUT_CALLS = {"load", "play", "pause", "set_gain_db"}
#: The module that stands for the device at the end of the path, by `audio.output`.
_OUTPUT_MODULES = {"fake": FakeOutput.__module__, "vlc": "player.audio.vlc"}


def _modules(frame: FrameType | None) -> list[str]:
    """The player modules on the stack from `frame` outwards, innermost first (generated code skipped)."""
    out: list[str] = []
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith("player.") and not frame.f_code.co_filename.startswith("<") and name not in out:
            out.append(name)
        frame = frame.f_back
    return out


def _inside(frame: FrameType | None, module: str, function: str) -> bool:
    while frame is not None:
        if frame.f_code.co_name == function and frame.f_globals.get("__name__") == module:
            return True
        frame = frame.f_back
    return False


def _coroutine_modules(loop: asyncio.AbstractEventLoop) -> list[str]:
    """The player modules of the coroutines awaiting on `loop` (a page request's middlewares and handler)."""
    out: list[str] = []
    for task in asyncio.all_tasks(loop):
        chain, coro = [], task.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None:
                chain.append(frame.f_globals.get("__name__", ""))
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        if "player.web.api" in chain:
            out += [m for m in chain if m.startswith("player.") and m not in out]
    return out


class PathRecorder:
    """A profile hook on every thread: the modules on the stacks at the hand-overs (see module doc)."""

    def __init__(self) -> None:
        self.output_module = _OUTPUT_MODULES["fake"]
        self.armed = False
        self.loop: asyncio.AbstractEventLoop | None = None   # the page server's, for its coroutines
        self.stacks: dict[str, list[tuple[str, ...]]] = {}
        self.heard = threading.Event()

    def _keep(self, label: str, modules: list[str]) -> None:
        chains = self.stacks.setdefault(label, [])
        if tuple(modules) not in chains:
            chains.append(tuple(modules))

    def _keep_page_coroutines(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop's own thread, once the request's coroutines are suspended awaiting `submit`."""
        done = threading.Event()

        def capture() -> None:
            self._keep("page coroutines awaiting it", _coroutine_modules(loop))
            done.set()

        loop.call_soon_threadsafe(capture)
        assert done.wait(10), "the page server's loop did not answer"

    def profile(self, frame: FrameType, event: str, arg: object) -> None:
        if not self.armed or event != "call":
            return
        code, module = frame.f_code, frame.f_globals.get("__name__", "")
        if module == "player.engine.loop" and code.co_name == "submit":
            self._keep("edge thread at submit", _modules(frame))
            if self.loop is not None:
                self._keep_page_coroutines(self.loop)
        elif not _inside(frame, "player.engine.loop", "_on_command"):
            return
        elif code.co_name == "__init__" and code.co_filename.startswith("<"):
            cls = type(frame.f_locals.get("self")).__name__
            if module == "player.core.effects" and cls in _MUSIC_EFFECTS:
                self._keep("engine: the session core decides", _modules(frame.f_back))
            elif module == "player.core.mix_commands" and cls in _DEVICE_COMMANDS:
                self._keep("engine: the mix core decides", _modules(frame.f_back))
        elif module == self.output_module and code.co_name in _OUTPUT_CALLS and not self.heard.is_set():
            self._keep("engine: the output is called", [module, *_modules(frame.f_back)])
            self.armed = False
            self.heard.set()

    @property
    def crossed(self) -> list[str]:
        return sorted({m for chains in self.stacks.values() for chain in chains for m in chain})

    def show(self, what: str, target: int | None = None) -> str:
        goal = f" (the issue's target: {target})" if target else ""
        lines = [f"{what}: {len(self.crossed)} modules crossed{goal}"]
        lines += [f"  {label}: {' <- '.join(chain)}" for label, chains in self.stacks.items() for chain in chains]
        lines += [f"    {m}" for m in self.crossed]
        return "\n".join(lines)


@pytest.fixture
def recorder():
    rec = PathRecorder()
    threading.setprofile(rec.profile)   # threads the daemon starts from here on
    sys.setprofile(rec.profile)
    try:
        yield rec
    finally:
        sys.setprofile(None)
        threading.setprofile(None)      # type: ignore[arg-type]


@pytest.mark.parametrize("output", ["fake", pytest.param("vlc", marks=pytest.mark.real_audio)])
def test_a_bedside_press_from_idle_to_the_output(tmp_path: Path, demo_playlist: Path,  # noqa: F811
                                                 recorder: PathRecorder, output: str, request):
    factory = MockFactory(pin_class=MockPWMPin)
    audio = {"output": "fake"}
    if output == "vlc":             # real libVLC into the virtual sound card
        request.getfixturevalue("audio_sink")
        audio = {"output": "vlc", "device": "pulse"}
    recorder.output_module = _OUTPUT_MODULES[output]
    config = daemon_config(tmp_path / "data", session={"default_playlist": str(demo_playlist)}, audio=audio,
                           hardware={"enabled": True, "pin_factory": "mock", "bounce_s": 0})
    clock = FakeClock()
    button = factory.pin(17)
    try:
        with Daemon(config, pin_factory=factory, clock=clock) as daemon:
            bedside = daemon.part(Bedside)
            assert bedside is not None and bedside.fault is None
            assert daemon.status()["state"] == "idle"
            recorder.armed = True
            button.drive_low()
            clock.advance(0.1)
            button.drive_high()
            assert bedside.sync_for_test(10)
            clock.advance(1.0)              # the double-press window closes: a single press, decided
            assert bedside.sync_for_test(10)
            assert recorder.heard.wait(20), recorder.show("press (never reached the output)")
    finally:
        factory.close()
    print(recorder.show(f"bedside press ({output})", PRESS_TARGET))
    crossed = recorder.crossed
    assert recorder.output_module in crossed and "player.hardware.bedside" in crossed
    assert {"player.engine.loop", "player.core.session", "player.core.mix"} <= set(crossed)
    assert len(crossed) <= PRESS_MEASURED, recorder.show("bedside press")


def test_a_calmer_request_from_the_page_to_the_output(tmp_path: Path, calmer_playlist: Path,  # noqa: F811
                                                      recorder: PathRecorder):
    config = daemon_config(tmp_path / "data", web={"enabled": True, "port": 0})
    with Daemon(config, clock=FakeClock()) as daemon:
        server = daemon.part(WebServer)
        assert server is not None, daemon.faults
        api = Http(server, daemon.config.token_path.read_text().strip())
        daemon.controller.submit("start", source="cli", playlist=str(calmer_playlist))  # the page starts by name
        assert daemon.controller.sync()
        recorder.loop = server._loop
        recorder.armed = True
        calmer = api.control("calmer", minutes=5)
        assert calmer.status == 200, calmer.body
        assert recorder.heard.wait(20), recorder.show("calmer (never reached the output)")
    print(recorder.show("calmer from the page", CALMER_TARGET))
    crossed = recorder.crossed
    assert crossed[0] == "player.audio.fake" and "player.web.api" in crossed
    assert {"player.engine.loop", "player.core.session", "player.core.mix"} <= set(crossed)
    assert len(crossed) <= CALMER_MEASURED, recorder.show("calmer from the page")
