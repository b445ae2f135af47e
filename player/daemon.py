"""The daemon: builds the parts in order, runs them, and stops them in reverse.

`Daemon(config, pin_factory=None)` is the in-process API the tests and `session-player run`
use: `start()`, `stop()` (idempotent), `status()`, and `controller` (the session engine)
for the edges. Order: the edges' code (imported before any sound: `import_edges`), library
recovery (a USB import cut short), audio + session engine
(restoring a session cut short), the control socket, the deferred-import applier, the
bedside hardware, the web page, the nursing station's MQTT feed. A part at the edge that cannot start (no
GPIO, port taken) is a logged fault and the player runs on without it; only the engine
is essential (and its socket, except when the disk refuses the socket's file: then a fault
too, so a read-only data disk never keeps the music from playing).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from collections.abc import Mapping
from pathlib import Path

from player.audio.analysis import Analyzer
from player.audio.api import AudioOutput
from player.audio.loudness import LoudnessLookup
from player.audio.voice_cache import CACHE_NAME as VOICE_CACHE
from player.audio.voice_cache import VoiceLookup
from player.audio.voice_child import ChildEar
from player.audio.voice_worker import VoiceWorker
from player.background import Foreground, Pacer, cpu_budget, spawn_lowered
from player.clock import Clock, SystemClock
from player.config import Config, load_config
from player.control import ControlSocketServer
from player.core.cap import cap_db
from player.core.level_model import LevelLimits
from player.engine.inputs import Notifier
from player.engine.loop import Mixer, SessionEngine
from player.fsutil import make_dirs_durable
from player.playlist.validate import load_playlist, load_playlist_to_resume
from player.usb.library import apply_pending, recover_library
from player.usb.pending import PendingApplier

log = logging.getLogger(__name__)


def build_output(config: Config, clock: Clock) -> AudioOutput:
    """The audio output `audio.output` names: libVLC on `audio.device`, or the simulated one."""
    if config.audio.output == "fake":
        from player.audio.fake import FakeOutput

        return FakeOutput(clock=clock, max_gain_db=config.loudness.max_boost_db)
    from player.audio.vlc import VlcOutput

    return VlcOutput(config.audio, max_gain_db=config.loudness.max_boost_db)


class Daemon:
    """One player: session engine, control socket, and the edges that steer it.

    Args:
        config: a config file path, a dict in the config file's shape, or a `Config`.
        pin_factory: gpiozero pin factory for the bedside hardware (tests pass a MockFactory).
        clock: injectable clock (tests); the system clock by default.
        output: injectable audio output; by default the one `audio.output` names.
        notifier: systemd notifications (READY, STATUS, WATCHDOG); none by default.
    """

    def __init__(self, config: str | Path | Mapping | Config | None, pin_factory=None, *,
                 clock: Clock | None = None, output: AudioOutput | None = None,
                 notifier: Notifier | None = None) -> None:
        self.config = load_config(config)
        self._pin_factory = pin_factory
        self._clock = clock or SystemClock()
        self._output = output
        self._notifier = notifier
        self.controller: SessionEngine | None = None
        self._parts: list = []  # started parts, in start order
        self.faults: list[str] = []
        self._headset = None   # player.bluetooth.part.HeadsetPart when audio.bluetooth is set
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = self.controller.status()["state"] if self.controller else "not started"
        return f"<Daemon {self.config.room} {state}>"

    def import_edges(self) -> None:
        """Import the code of the edges the config enables, before the engine can make a sound.

        Playback first: the web page's HTTP stack alone costs ~175 ms of CPU to import (on the
        2-core development machine; 3.5 s of a 5 % budget). Imported after the engine started, as
        the edges are started, it ran beside a resumed session's first sound and broke it up under
        a CPU quota. Before the engine, it only puts the first sound that much later. An edge whose
        code cannot be imported fails where it always did, as that edge starts.
        """
        cfg = self.config
        wanted = [(cfg.hardware.enabled, "player.hardware.bedside"), (cfg.web.enabled, "player.web.server"),
                  (cfg.mqtt.enabled, "player.mqtt.publisher")]
        for enabled, module in wanted:
            if enabled:
                with contextlib.suppress(ImportError):
                    importlib.import_module(module)

    def start(self) -> None:
        """Start every part; raises only when the engine cannot start or another player serves the socket."""
        with self._lock:
            if self.controller is not None:
                return
            self.import_edges()
            cfg = self.config
            self._prepare_data_dir()
            output = self._output or build_output(cfg, self._clock)
            if cfg.audio.bluetooth is not None:   # the headphones' loss enters as the output's device loss
                from player.bluetooth.part import HeadsetPart

                self._headset = HeadsetPart(cfg.audio.bluetooth, output, self._clock)
                output = self._headset.output
            foreground = Foreground()   # raised while a deck loads, pre-rolls or fades: background work waits
            mixer = Mixer(output, cfg, self._clock, self._loudness(foreground), foreground)
            engine = SessionEngine(cfg, mixer, self._clock, load_playlist=load_playlist, notifier=self._notifier,
                                   apply_pending_library=lambda: apply_pending(cfg, wait=False),
                                   load_to_resume=load_playlist_to_resume)
            try:
                engine.start()
                self._parts.append(engine)
                self.controller = engine
                sock = ControlSocketServer(cfg.socket_path, engine, data_dir=cfg.data_dir, status=self.status)
                sock.start()
                self._parts.append(sock)
                if sock.fault:
                    self.faults.append(sock.fault)
            except BaseException:
                self._stop_parts()
                raise
            applier = PendingApplier(engine, cfg)  # an import deferred during a session lands after it
            applier.start()
            self._parts.append(applier)
            if self._headset is not None:
                fault = self._headset.start(engine)
                self._parts.append(self._headset)
                if fault:
                    self.faults.append(fault)
            self._start_edges()
            if self._notifier is not None:
                self._notifier.ready()
            log.info("session-player ready in %s (data %s, audio %s:%s, cap %.1f dB)", cfg.room, cfg.data_dir,
                     cfg.audio.output, cfg.audio.device, cap_db(cfg.volume))

    def _prepare_data_dir(self) -> None:
        """The data folder, and what an interrupted import left; a full or read-only disk does not stop the player."""
        cfg = self.config
        try:
            make_dirs_durable(cfg.data_dir)
            for name in recover_library(cfg.data_dir):
                log.info("removed %s, left by an interrupted USB import", name)
        except OSError as exc:
            log.error("data folder %s: %s; starting anyway (records wait in memory)", cfg.data_dir,
                      exc.strerror or exc)

    def _loudness(self, foreground: Foreground) -> Analyzer:
        """The loudness worker, and the voice scan behind it (`library.voice_scan`), never on the engine thread.

        Both are background jobs (playback first, `player.background`): they wait while a deck
        loads, pre-rolls or fades (`foreground`), and under a CPU quota the analysis is held to a
        share of it, a measurement in progress stopped while a deck loads, pre-rolls or fades.
        The voice model runs in a child process that exits when idle (`ChildEar`): onnxruntime
        and numpy never stay in the daemon's memory.
        """
        cfg = self.config
        cache = cfg.data_dir / "loudness-cache.json"
        pacer = Pacer(cpu_budget())
        if pacer.limited:
            log.info("CPU budget %.2f cores (cgroup quota): loudness analysis paced to %.0f %% of it",
                     pacer.cores, pacer.share * 100)
        lookup = LoudnessLookup(cfg.loudness, cache_path=cache, pacer=pacer, spawn=spawn_lowered,
                                limits=LevelLimits.of(cfg), pause_while=foreground.busy)
        if cfg.library.voice_scan == "off":
            return Analyzer(lookup, foreground=foreground, background=True)
        voice = VoiceWorker(VoiceLookup(cfg.data_dir / VOICE_CACHE, ear=ChildEar()),
                            busy=lambda: analyzer.busy() or foreground.busy())
        self._parts.append(voice)   # closed last, with the other parts
        analyzer = Analyzer(lookup, foreground=foreground, background=True, also=voice.want)
        return analyzer

    def _start_edges(self) -> None:
        cfg = self.config
        if cfg.hardware.enabled:
            from player.hardware.bedside import Bedside

            bedside = Bedside(cfg, self.controller, pin_factory=self._pin_factory, clock=self._clock)
            bedside.start()
            self._parts.append(bedside)
            if bedside.fault:
                self.faults.append(f"bedside hardware: {bedside.fault}")
        if cfg.web.enabled:
            from player.web.server import WebServer

            web = WebServer(cfg, self.controller, status=self.status)  # the page shows the daemon's faults too
            try:
                web.start()
                self._parts.append(web)
            except Exception as exc:  # noqa: BLE001 - the player plays on without its web page
                log.error("staff web page not started: %s", exc)
                self.faults.append(f"web page: {exc}")
        if cfg.mqtt.enabled:
            self._start_station_feed()

    def _start_station_feed(self) -> None:
        """The nursing station's feed over MQTT (docs/station.md): a fault if it cannot start, never fatal."""
        try:
            from player.mqtt.publisher import ChairPublisher

            feed = ChairPublisher(self.config, self.controller, status=self.status)
            feed.start()
            self._parts.append(feed)
        except Exception as exc:  # noqa: BLE001 - the player plays on without the station's feed
            log.error("nursing station feed (MQTT) not started: %s", exc)
            self.faults.append(f"station feed: {exc}")

    def status(self) -> dict:
        """The session's status (see `player.control.controller.STATUS_KEYS`), plus daemon faults."""
        if self.controller is None:
            return {"state": "stopped", "phase": None, "volume_db": None, "session_id": None,
                    "faults": list(self.faults)}
        status = self.controller.status()
        status["faults"] = status["faults"] + self.faults
        if self._headset is not None:
            status["bluetooth"] = self._headset.status()
        return status

    def part(self, kind: type):
        """The started part of type `kind` (e.g. WebServer), or None."""
        return next((p for p in self._parts if isinstance(p, kind)), None)

    def stop(self) -> None:
        """Stop every part in reverse order; the session, if any, stays saved for the next start."""
        with self._lock:
            self._stop_parts()
            self.controller = None

    def _stop_parts(self) -> None:
        while self._parts:
            part = self._parts.pop()
            try:
                part.close()
            except Exception:  # noqa: BLE001 - stop the rest regardless
                log.exception("stopping %r failed", part)

    def __enter__(self) -> Daemon:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
