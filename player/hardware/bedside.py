"""The bedside controls: one staff button, optional volume knob or buttons, one status LED.

Threads, and why:

* gpiozero calls our edge callbacks on its pin thread (on MockFactory: the thread that
  drives the pin). They only timestamp the edge and put it on `_inbox` (a SimpleQueue:
  never blocks), so a busy or hung engine can never stall GPIO handling or lose an edge.
* One worker thread (``bedside``) owns the pure gesture machines (`gestures`,
  `stop_confirm`, `volume_keys`), turns edges into gestures
  and calls `Controller.submit`, which waits for the engine to act and fsync its log. The
  edges carry their own timestamps, so a slow answer never changes what a press meant;
  presses made meanwhile queue up, and the session core decides each ``press`` (start,
  pause or resume) in order against its own state (so two short presses toggle pause, resume).
* The LED plays its patterns on its own thread (`LedDriver`). Controller events arrive on
  the engine thread; our listener only enqueues a "status changed" note.

Buttons are plain `DigitalInputDevice`s (pull-up, active low; see `Devices.open_contact`), not
gpiozero `Button`s: we time holds ourselves, so Button's hold thread would only cost a thread.

Ending a session from the button (`hardware.button_stop`): the button lies within reach of a
patient who may be dissociated and grip it, so by default (``off``) no gesture ends the
session and a held button only gives the refused blink at release. With ``confirm`` (a button
mounted out of the patient's reach, staff only) a long press only *asks*: the LED stays
steady bright for `stop_confirm_s` and a double press within that window ends the session;
a single press or the window running out cancels. See hardware/README.md, "Where the button goes".

Nothing here raises out of the worker: refusals (`SessionRefused`), timeouts and surprises are
logged, reported and shown as a ``refused`` LED double blink.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from gpiozero import PWMLED

from player.clock import Clock, SystemClock
from player.config import Config
from player.control.controller import Controller
from player.errors import HardwareUnavailable, SessionRefused
from player.hardware.gestures import (
    DECISIONS,
    DOUBLE,
    HOLD_ARMED,
    HOLD_WARNING,
    LONG,
    SINGLE,
    GestureMachine,
    Timing,
)
from player.hardware.led import LedDriver, state_pattern_name
from player.hardware.pins import Devices, make_pin_factory, open_volume_inputs
from player.hardware.stop_confirm import CONFIRMED, StopConfirm
from player.hardware.volume_keys import VolumeInputs, bounded_step

log = logging.getLogger(__name__)

SOURCE = "button"
MARK_TEXT = "staff mark"

#: The LED re-reads the status this often, besides following events: an event's listener runs
#: before the engine publishes the new snapshot, so a read at event time can be one step stale.
LED_REFRESH_S = 1.0

Reporter = Callable[[str, dict], None]
_STOP = ("stop",)


class Bedside:
    """Owns the bedside GPIO devices and turns them into controls for the session.

    Args:
        config: the player config (`hardware` and `session.default_playlist` are used).
        controller: the session's `Controller` (the engine, or a fake in tests).
        pin_factory: a gpiozero pin factory to use (not closed by us); None = make the one
            named by `hardware.pin_factory` (and close it in `close()`).
        clock: monotonic clock for gesture timing (a `FakeClock` in tests).
        reporter: called on the worker thread as ``reporter(kind, info)`` for every edge,
            gesture, volume change and refusal (``hw-test`` prints these); errors are logged.
    """

    def __init__(self, config: Config, controller: Controller, *, pin_factory=None, clock: Clock | None = None,
                 reporter: Reporter | None = None) -> None:
        hw = config.hardware
        self._hw = hw
        self._default_playlist = config.session.default_playlist
        self._controller = controller
        self._given_factory = pin_factory
        self._clock = clock or SystemClock()
        self._reporter = reporter
        self._volume = VolumeInputs(config.volume.step_db, hw.encoder_step_db, hw.repeat_s, hw.bounce_s)
        self._timing = Timing(hw.double_press_s, hw.long_press_s, hw.bounce_s)
        self._stop = StopConfirm(hw.button_stop == "confirm", hw.stop_confirm_s)
        self._pins: Devices | None = None
        self._button: GestureMachine | None = None
        self._inbox: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.led: LedDriver | None = None
        self._next_led_refresh = 0.0
        self.fault: str | None = None
        self._started = False
        self._closed = False

    def __repr__(self) -> str:
        what = "closed" if self._closed else "started" if self._started else "not started"
        return f"<Bedside {what} button=BCM{self._hw.button_pin} fault={self.fault!r}>"

    def __enter__(self) -> Bedside:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Open the GPIO devices and start listening. Never raises for hardware problems:
        they are logged and kept in `fault`, and the player runs on (CLI and web still work).
        """
        if self._closed:
            raise RuntimeError("this Bedside is closed; make a new one")
        if self._started:
            return
        self._started = True
        hw = self._hw
        if not hw.enabled:
            log.info("bedside hardware disabled (hardware.enabled: false)")
            return
        try:
            factory = self._given_factory or make_pin_factory(hw.pin_factory)
        except HardwareUnavailable as exc:
            self._set_fault([str(exc)])
            return
        pins = self._pins = Devices(factory, owns_factory=factory is not self._given_factory)
        button = pins.open_contact(f"button on BCM {hw.button_pin}", hw.button_pin,
                                   lambda pressed: self._post("button", pressed))
        led = None
        if hw.led_pin is not None:
            led = pins.open(f"LED on BCM {hw.led_pin}", PWMLED, hw.led_pin, initial_value=0.0)
        self.led = LedDriver(led, hw.led_brightness)
        if button is not None:
            held = button.is_active
            if held:
                log.warning("bedside button is down at start (held or stuck): ignored until released")
            self._button = GestureMachine(self._timing, held_at_start=held)
        open_volume_inputs(pins, hw, self._volume, self._post)
        self._set_fault(pins.faults)
        self._worker = threading.Thread(target=self._run, name="bedside", daemon=True)
        self._worker.start()
        self._unsubscribe = self._controller.subscribe(lambda record: self._post("status", record))
        self._post("status", None)

    def close(self) -> None:
        """Stop listening, turn the LED off and release the pins. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        worker, self._worker = self._worker, None
        led, self.led = self.led, None
        pins, self._pins = self._pins, None
        if unsubscribe is not None:
            unsubscribe()
        if worker is not None:
            self._inbox.put(_STOP)
            worker.join(10)
        if led is not None:
            led.close()
        if pins is not None:
            pins.close()

    def wake_for_test(self) -> None:
        """Test hook, not API: make the worker re-read the (fake) clock, without waiting."""
        self._post("wake")

    def sync_for_test(self, timeout: float = 5.0) -> bool:
        """Test hook, not API: make the worker re-read the (fake) clock now and wait until it
        has acted on everything posted so far (edges, timers, controls)."""
        done = threading.Event()
        self._post("sync", done)
        return done.wait(timeout)

    # --- edges (gpiozero's thread: enqueue only) ------------------------------------------

    def _post(self, kind: str, *args: object) -> None:
        self._inbox.put((kind, *args, self._clock.monotonic()))

    # --- worker ------------------------------------------------------------------------

    def _set_fault(self, faults: list[str]) -> None:
        self.fault = "; ".join(faults) or None
        if self.fault:
            log.error("bedside hardware fault: %s. The player runs on without it: use the CLI or the web page.",
                      self.fault)
            self._report("fault", message=self.fault)

    def _timeout(self) -> float:
        """Until the next gesture, repeat, confirmation or LED deadline (the worker wakes then)."""
        deadlines = [self._next_led_refresh, *self._volume.deadlines()]
        for deadline in (self._button and self._button.next_deadline(), self._stop.next_deadline()):
            if deadline is not None:
                deadlines.append(deadline)
        return max(0.0, min(deadlines) - self._clock.monotonic())

    def _run(self) -> None:
        while True:
            try:
                batch = [self._inbox.get(timeout=self._timeout())]
            except queue.Empty:
                batch = []
            while not self._inbox.empty():   # this thread is the only reader: what is there stays there
                batch.append(self._inbox.get_nowait())
            if _STOP in batch:
                return
            try:
                self._handle(batch)
            except Exception:  # never let one bad answer stop the bedside controls
                log.exception("bedside worker error (carrying on)")

    def _handle(self, batch: list[tuple]) -> None:
        gestures: list[tuple[str, float]] = []
        delta_db = 0.0
        status_changed = False
        new_state: str | None = None
        synced: list[threading.Event] = []
        for kind, *args, at in batch:
            if kind == "button" and self._button is not None:
                pressed = args[0]
                gestures += [(g, at) for g in (self._button.press(at) if pressed else self._button.release(at))]
                self._report("pressed" if pressed else "released", at=at)
            elif kind == "key":
                delta_db += self._volume.key(*args, at)
            elif kind == "detent":
                delta_db += self._volume.detent(args[0])
            elif kind == "status":
                status_changed = True
                record = args[0]
                if record and record.get("type") == "state_changed":
                    new_state = (record.get("details") or {}).get("to") or new_state
            elif kind == "sync":
                synced.append(args[0])
        now = self._clock.monotonic()
        if self._button is not None:
            gestures += [(g, now) for g in self._button.tick(now)]
        delta_db += self._volume.tick(now)
        for gesture, at in gestures:
            self._on_gesture(gesture, at)
        self._expire_stop_request(now)
        if delta_db:
            self._change_volume(delta_db)
        if status_changed or now >= self._next_led_refresh:
            self._next_led_refresh = now + LED_REFRESH_S
            status = self._status()
            if new_state is not None:
                status["state"] = new_state
            self._show_status(status)
        for done in synced:
            done.set()

    def _on_gesture(self, gesture: str, at: float) -> None:
        self._expire_stop_request(at)
        if self.led is not None:
            if gesture in (HOLD_WARNING, HOLD_ARMED):
                if self._stop.enabled:  # a gripped button shows nothing when it cannot stop
                    self.led.hold(gesture)
            elif gesture in DECISIONS:
                self.led.hold(None)
        if gesture not in DECISIONS:
            self._report("gesture", gesture=gesture)
            return
        answer = self._stop.answer(gesture)  # the one gesture after a long press: a double press ends the session
        if answer == CONFIRMED:
            self._submit(gesture, "stop")
        elif answer is not None:
            log.info("bedside: end of session not confirmed (%s): nothing done", gesture)
            self._report("gesture", gesture=gesture, action=None, stop="cancelled")
        elif gesture == SINGLE:   # the session core decides what it means (start, pause, resume) from its state
            self._submit(gesture, "press", **({"playlist": str(self._default_playlist)} if self._default_playlist
                                              else {}))
        elif gesture == DOUBLE:
            if self._submit(gesture, "mark", text=MARK_TEXT) is not None and self.led is not None:
                self.led.flash("ack")
        elif gesture == LONG:
            self._ask_to_stop(gesture, at)
        else:
            log.info("button released between %.1f s and %.1f s: cancelled, nothing done",
                     self._timing.hold_warn_s, self._timing.long_press_s)
            self._report("gesture", gesture=gesture, action=None)

    def _ask_to_stop(self, gesture: str, at: float) -> None:
        """A long press: refused (``button_stop: off``) or waiting for its confirming double press."""
        if not self._stop.ask(at):
            self._refused(gesture, None, "ending a session from the bedside button is off (hardware.button_stop: off): "
                          "end it from the staff page or with `session-player stop`")
            return
        log.info("bedside long press: a double press within %.0f s ends the session", self._stop.window_s)
        self._report("gesture", gesture=gesture, action=None, stop="pending")
        if self.led is not None:
            self.led.hold(HOLD_ARMED)

    def _expire_stop_request(self, now: float) -> None:
        if self._stop.expire(now):
            log.info("bedside: no double press within %.0f s of the long press: the session goes on",
                     self._stop.window_s)
            self._report("gesture", gesture="stop_expired", action=None, stop="expired")
            if self.led is not None:
                self.led.hold(None)

    def _submit(self, gesture: str, action: str, **args: object) -> dict | None:
        try:
            snapshot = self._controller.submit(action, source=SOURCE, **args)
        except SessionRefused as exc:
            self._refused(gesture, action, str(exc))
            return None
        except Exception as exc:  # TimeoutError, a dead engine: log, signal, keep the pin thread alive
            log.error("bedside %s -> %s failed: %s: %s", gesture, action, type(exc).__name__, exc)
            self._refused(gesture, action, f"{type(exc).__name__}: {exc}")
            return None
        action = snapshot.get("press", action)      # a press: what the session decided it meant
        log.info("bedside %s -> %s", gesture, action)
        self._report("gesture", gesture=gesture, action=action, args=args, state=snapshot.get("state"))
        self._show_status(snapshot)
        return snapshot

    def _refused(self, gesture: str, action: str | None, reason: str) -> None:
        log.warning("bedside %s%s refused: %s", gesture, f" -> {action}" if action else "", reason)
        self._report("refused", gesture=gesture, action=action, reason=reason)
        if self.led is not None:
            self.led.flash("refused")

    def _change_volume(self, delta_db: float) -> None:
        """Ask for a relative, ramped change; never more than up to the cap as the engine reports it."""
        status = self._status()
        asked, delta_db = delta_db, bounded_step(delta_db, status.get("volume_db"), status.get("max_db"))
        if asked > 0 >= delta_db:
            log.info("bedside volume up: already at the cap (%.1f dB)", status["max_db"])
            self._report("volume", delta_db=0.0, at_cap=True)
            return
        try:
            snapshot = self._controller.submit("volume", source=SOURCE, delta_db=round(delta_db, 3))
        except Exception as exc:
            log.warning("bedside volume %+.1f dB refused: %s", delta_db, exc)
            self._report("refused", gesture="volume", action="volume", reason=str(exc))
            return
        self._report("volume", delta_db=delta_db, volume_db=snapshot.get("volume_db"))

    def _status(self) -> dict:
        try:
            return self._controller.status()
        except Exception as exc:
            log.error("bedside: cannot read session status: %s", exc)
            return {"state": None, "faults": [str(exc)]}

    def _show_status(self, status: dict) -> None:
        if self.led is not None:
            self.led.show(state_pattern_name(status, fault=self.fault is not None))

    def _report(self, kind: str, **info: object) -> None:
        log.debug("bedside %s %s", kind, info)
        if self._reporter is None:
            return
        try:
            self._reporter(kind, info)
        except Exception:
            log.exception("bedside reporter failed")
