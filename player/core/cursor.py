"""Which track plays: the phase's turns, the tokens handed to the mixer, and failures that move on.

Pure. Each track handed to the mixer is a `Source` with a fresh token; the mixer's events
carry it back, so the session knows which turn (of which phase) is heard, even when one
file appears twice. A track that fails moves the cursor past it; when every track of the
phase has failed in a row, the music falls back to the last track heard, then to the
later phases' tracks, so the patient is never left in silence; when those fail too, the
cursor waits (1 s, doubling to 30 s) and tries the phase again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from player.core.media import Source
from player.playlist.model import Phase, Playlist, Track
from player.playlist.plan import tracks_for_phase

RETRY_FIRST_S = 1.0
RETRY_MAX_S = 30.0
KEEP_TOKENS = 64     # tokens remembered (the mixer holds at most three sources at a time)


@dataclass(frozen=True)
class Turn:
    """What a token was handed out for."""

    phase_index: int
    turn: int
    fallback: bool = False
    calmer: bool = False           # a turn of calmer music (player/core/calmer.py), not of the plan


def track_at(phase: Phase, turn: int) -> Track | None:
    """The phase's `turn`-th track to play (looping), or None past the end with on_short: silence."""
    upcoming = next(tracks_for_phase(phase, start_turn=turn), None)
    return None if upcoming is None else upcoming.track


@dataclass
class Cursor:
    """The track cursor of one running session."""

    track_index: int = 0           # the turn heard now (in the current phase)
    handed_turn: int = 0           # the last turn handed to the mixer
    failures_in_row: int = 0
    last_good: Track | None = None
    retry_at: float | None = None  # session time: every fallback failed too, try again then
    retry_s: float = RETRY_FIRST_S
    next_token: int = 0
    tokens: OrderedDict[int, Turn] = field(default_factory=OrderedDict)
    calmer: bool = False           # the turns are calmer music's now (a late event of the other list is no turn)

    def hand(self, track: Track, phase_index: int, turn: int, *, start_s: float = 0.0,
             fallback: bool = False, calmer: bool | None = None) -> Source:
        """A source for one play of `track`, with a token that says which turn (of which list) it is."""
        self.next_token += 1
        self.tokens[self.next_token] = Turn(phase_index, turn, fallback, self.calmer if calmer is None else calmer)
        while len(self.tokens) > KEEP_TOKENS:
            self.tokens.popitem(last=False)
        return Source(track.path, self.next_token, track.gain_db, track.duration_s, start_s)

    def turn_of(self, token: int | None) -> Turn | None:
        return None if token is None else self.tokens.get(token)

    def start_phase(self, turn: int = 0) -> None:
        """A phase begins (or its music restarts at `turn`)."""
        self.track_index = self.handed_turn = turn
        self.failures_in_row, self.retry_at, self.retry_s = 0, None, RETRY_FIRST_S

    def current(self, playlist: Playlist, phase_index: int, *, start_s: float = 0.0) -> Source | None:
        """The source for the turn the cursor is on (None: the phase is silent from here)."""
        track = track_at(playlist.phases[phase_index], self.track_index)
        self.handed_turn = self.track_index
        return None if track is None else self.hand(track, phase_index, self.track_index, start_s=start_s)

    def heard(self, token: int | None, track: Track, phase_index: int) -> Turn | None:
        """The mixer says `token` is heard: it is the good music now. Returns its turn."""
        turn = self.turn_of(token)
        self.failures_in_row, self.retry_at, self.retry_s = 0, None, RETRY_FIRST_S
        self.last_good = track
        if turn is not None and turn.phase_index == phase_index and not turn.fallback and turn.calmer == self.calmer:
            self.track_index = turn.turn
        return turn

    def failed(self, phase: Phase) -> bool:
        """A track failed; True when this failure means every track of the phase has failed in a row."""
        self.failures_in_row += 1
        return self.failures_in_row == len(phase.tracks)

    @property
    def phase_failed(self) -> bool:
        return self.retry_at is not None

    def following(self, playlist: Playlist, phase_index: int) -> Source | None:
        """What plays after the last source handed out (None: nothing, for now or for good)."""
        phase = playlist.phases[phase_index]
        n = len(phase.tracks)
        if self.failures_in_row < n:
            self.handed_turn += 1
            track = track_at(phase, self.handed_turn)
            return None if track is None else self.hand(track, phase_index, self.handed_turn)
        fallbacks = ([(self.last_good, phase_index, self.track_index)] if self.last_good is not None else []) + [
            (t, i, turn) for i in range(phase_index + 1, len(playlist.phases))
            for turn, t in enumerate(playlist.phases[i].tracks)]
        k = self.failures_in_row - n
        if k >= len(fallbacks):
            return None
        track, index, turn = fallbacks[k]
        return self.hand(track, index, turn, fallback=True)

    def wait_before_retry(self, now_s: float) -> None:
        """Every track and fallback failed: try again later, less often each time."""
        self.retry_at = now_s + self.retry_s
        self.retry_s = min(RETRY_MAX_S, self.retry_s * 2)

    def retry_due(self, now_s: float) -> bool:
        if self.retry_at is None or now_s < self.retry_at:
            return False
        self.retry_at, self.failures_in_row = None, 0
        return True
