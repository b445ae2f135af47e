"""Time and the mixer move a session: phase boundaries, the final fade-out, what the mixer reports (pure).

Handlers of the session core (player/core/session.py): `tick` when time passed, and one
handler per kind of mixer event (`MIXER_EVENTS`). A phase's end that ends the plan steps
`SessionCompleted` through the table; the audio device's loss and return step
`DeviceLost`/`DeviceRestored`; nothing here writes the state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from player.core import anchored_phase, calmer_rules
from player.core.effects import Notify, QueueNext, Record, SaveState, StopAudio
from player.core.inputs import DeviceLost, DeviceRestored, SessionCompleted
from player.core.media import MixerEvent
from player.core.running import Running
from player.core.vocabulary import is_active
from player.playlist.model import Track

if TYPE_CHECKING:
    from player.core.session import Moment, SessionMachine

NO_TRACK = "no playable track in phase "


def tick(m: SessionMachine, when: Moment) -> None:
    """Checkpoints come due (also while paused); phases end; a retry; calmer music's end; the final fade."""
    s = m.session
    if s is not None and is_active(m.state):
        announced = s.checkpoints.advance(when.at)
        for type_, at_s, details in announced:
            m.emit(Record(type_, "system", at_s, details))
        if announced:
            m.emit(SaveState())   # a restart does not announce them again
    if s is None or m.state not in ("playing", "faulted"):
        return
    cross_boundaries(m, when)
    s = m.session
    if s is not None and m.state == "playing" and s.cursor.retry_due(when.at):
        m.emit(m.following(when.at, now=True))
    if s is not None and m.state == "playing" and s.calmer and s.calmer.due(when.at) and not s.finishing:
        calmer_rules.end_calmer(m, s.calmer.until_s, "time up")
    if s is not None and s.timeline.is_last and not s.fading_out:
        fade = s.phase.fade_out_s
        if fade and when.at >= s.timeline.phase_end_s - fade:
            s.fading_out = True
            m.emit(StopAudio(max(0.1, s.timeline.phase_end_s - when.at)))


def next_due_s(s: Running, state: str, at: float) -> float | None:
    """How long until a tick must come (a phase boundary, the final fade, a checkpoint, a retry)."""
    checkpoint = s.checkpoints.next_change_s(at)
    if state == "paused":
        return checkpoint
    due = [s.timeline.phase_end_s - at] + ([] if checkpoint is None else [checkpoint])
    if s.timeline.is_last and s.phase.fade_out_s and not s.fading_out:
        due.append(s.timeline.phase_end_s - s.phase.fade_out_s - at)
    if s.cursor.retry_at is not None:
        due.append(s.cursor.retry_at - at)
    if s.calmer is not None and s.calmer.until_s is not None:
        due.append(s.calmer.until_s - at)
    return max(0.0, min(due))


def enter_phase(m: SessionMachine, at_s: float, *, music: bool) -> None:
    s = m.session
    assert s is not None
    old = s.timeline
    if s.calmer is not None:
        calmer_rules.end_calmer(m, at_s, "phase ended", music=False)
    m.record("phase_ended", at_s, phase=old.phase, index=old.index)
    s.timeline = old.next_phase(at_s)
    s.cursor.start_phase(0)
    s.fading_out, s.finishing = False, False
    phase_started(m, at_s)
    if music:
        m.emit(m.phase_music())


def phase_started(m: SessionMachine, at_s: float) -> None:
    s = m.session
    assert s is not None
    tl = s.timeline
    m.record("phase_started", at_s, phase=tl.phase, index=tl.index, planned_start_s=tl.phase_start_s,
             planned_end_s=tl.phase_end_s)
    m.emit(Notify(f"{m.config.room}: {tl.phase} (phase {tl.index + 1}/{len(tl.names)})"))
    anchored_phase.hold(m, at_s)   # a phase lasting until infusion_end + 60m, the infusion already over


def cross_boundaries(m: SessionMachine, when: Moment, *, music: bool = True) -> None:
    """End every phase whose time is up, at its exact end; crossfade once into the last one reached.

    A phase with ``finish_track`` whose track still plays is not ended here: its track plays
    out and the next phase begins when the next phase's music takes over.
    """
    s = m.session
    crossfade_s = None
    while s is not None and s.timeline.due(when.at):
        end = s.timeline.phase_end_s
        if s.timeline.is_last:
            m.record("phase_ended", end, phase=s.timeline.phase, index=s.timeline.index)
            m.event(SessionCompleted(), replace(when, source="system", at=end))
            return
        if s.phase.finish_track and music and when.mixer.current_token is not None:
            if not s.finishing:
                s.finishing = True
                m.emit(m.next_phase_queued())
            return
        crossfade_s = s.phase.crossfade_s  # the ending phase's crossfade carries into the next
        enter_phase(m, end, music=False)
    if crossfade_s is not None and music and m.state == "playing":
        m.emit(m.phase_music(crossfade_s=crossfade_s))


# --- what the mixer reports ------------------------------------------------------------------

def track_started(m: SessionMachine, ev: MixerEvent, when: Moment) -> None:
    s = m.session
    if s is None:
        return
    turn = s.cursor.turn_of(ev.token)
    calmer = turn is not None and turn.calmer
    if s.finishing and s.timeline.due(when.at) and turn is not None and turn.phase_index == s.timeline.index + 1:
        s.finishing = False                         # the finished track handed over: the next phase begins
        enter_phase(m, when.at, music=False)
    source = ev.source
    assert source is not None
    turn = s.cursor.heard(ev.token, Track(source.path, source.trim_db, source.duration_s), s.timeline.index)
    fallback = turn is not None and turn.fallback
    if not fallback:
        for fault in [f for f in m.faults if f.startswith(NO_TRACK)]:
            m.clear_fault(fault, when.at)
    m.record("track_started", when.at, phase=s.phase.name, file=s.track_name(source.path),
             **({"fallback": True} if fallback else {}), **({"calmer": True} if calmer else {}))
    m.emit(SaveState())            # a restart takes up this track, not the last one


def track_ended(m: SessionMachine, ev: MixerEvent, when: Moment) -> None:
    s = m.session
    if s is None or ev.source is None:
        return
    m.record("track_ended", when.at, file=s.track_name(ev.source.path))
    if s.finishing and when.mixer.current_token is None:  # it ended with nothing after it
        s.finishing = False
        enter_phase(m, when.at, music=m.state == "playing")


def track_failed(m: SessionMachine, ev: MixerEvent, when: Moment) -> None:
    s = m.session
    if s is None or ev.source is None:
        return
    m.record("track_skipped", when.at, file=s.track_name(ev.source.path),
             reason=str(ev.detail.get("reason", "could not be played")))
    if s.cursor.failed(s.phase):
        m.add_fault(f"{NO_TRACK}{s.phase.name}", when.at)


def needs_track(m: SessionMachine, ev: MixerEvent, when: Moment) -> None:
    s = m.session
    if s is None or not is_active(m.state):
        return
    if s.fading_out:
        m.emit(QueueNext(None, s.phase.crossfade_s))
    elif s.finishing:
        m.emit(m.next_phase_queued())
    else:
        m.emit(m.following(when.at, now=bool(ev.detail.get("now"))))


def fade_finished(m: SessionMachine, ev: MixerEvent, when: Moment) -> None:
    """The state changed when the fade began; nothing waits for its end."""


def device_lost(m: SessionMachine, ev: MixerEvent, when: Moment) -> None:
    m.event(DeviceLost(), when)
    m.add_fault(m.device_message(), when.at)


def device_restored(m: SessionMachine, ev: MixerEvent, when: Moment) -> None:
    m.event(DeviceRestored(), when)
    m.clear_fault(m.device_message(), when.at)


#: The handler of each kind of mixer event (player/audio/api.py `MixerEvent.kind`).
MIXER_EVENTS: dict[str, Callable[[SessionMachine, MixerEvent, Moment], None]] = {
    "track_started": track_started, "track_ended": track_ended, "track_failed": track_failed,
    "needs_track": needs_track, "fade_finished": fade_finished, "device_lost": device_lost,
    "device_restored": device_restored}
