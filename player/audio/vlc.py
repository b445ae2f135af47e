"""The real output: libVLC with two MediaPlayers (decks A and B) on one ALSA device.

Measured facts this follows (docs/audio.md): with ``--aout=alsa`` a volume
set before ``play()`` applies from the first sample (callback outputs start at 100%: never
used here); ``--no-volume-save`` so no boot starts at a remembered level; libVLC is not
re-entrant, so its event callbacks only hand an `OutputEvent` to ``on_event`` and return.

Each load gets a fresh MediaPlayer whose callbacks carry that load's token, so a late event
from a replaced track can never be mistaken for the new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import vlc

from player.audio.alsa import Alsa
from player.audio.api import AudioOutput
from player.config import AudioConfig
from player.core.gain import db_to_vlc_percent
from player.core.media import DECKS, DeckName, OutputEvent
from player.errors import AudioFailed

log = logging.getLogger(__name__)

_LIVE_STATES = (vlc.State.Opening, vlc.State.Buffering, vlc.State.Playing, vlc.State.Paused)


class VlcOutput(AudioOutput):
    """libVLC output. Constructed without I/O; `open` starts libVLC.

    Args:
        audio: the ``audio`` config section (``device`` is the ALSA device name).
        max_gain_db: last line of defence: no deck's digital gain is ever set above this (the
            level model's ceiling: `loudness.max_boost_db`; 0 keeps VLC at or under 100 %).
    """

    def __init__(self, audio: AudioConfig, *, max_gain_db: float = 0.0) -> None:
        self._device = audio.device
        self._max_gain_db = max_gain_db
        self._instance: vlc.Instance | None = None
        self._on_event: Callable[[OutputEvent], None] | None = None
        self._players: dict[DeckName, vlc.MediaPlayer | None] = {d: None for d in DECKS}
        self._percent: dict[DeckName, int] = {d: 0 for d in DECKS}
        self._tokens = 0
        self._alsa: Alsa | None = None

    def __repr__(self) -> str:
        return f"<VlcOutput alsa:{self._device} {'open' if self._instance else 'closed'}>"

    def open(self, on_event: Callable[[OutputEvent], None]) -> None:
        args = ["--aout=alsa", f"--alsa-audio-device={self._device}", "--no-volume-save", "--no-video",
                "--quiet", "--verbose=-1", "--no-stats", "--no-media-library"]
        instance = vlc.Instance(args)
        if instance is None:
            raise AudioFailed(f"libVLC did not start with {' '.join(args)}")
        instance.log_unset()
        self._instance, self._on_event = instance, on_event
        try:
            self._alsa = Alsa()                 # loads libasound once per output, not per probe
        except OSError as exc:
            raise AudioFailed(str(exc)) from None

    def _require(self) -> vlc.Instance:
        if self._instance is None:
            raise AudioFailed("the audio output is not open")
        return self._instance

    def load(self, deck: DeckName, path: Path, start_s: float = 0.0) -> int:
        instance = self._require()
        self._release(deck)
        self._tokens += 1
        token = self._tokens
        media = instance.media_new_path(str(path))
        if start_s > 0:
            media.add_option(f":start-time={start_s:.3f}")
        player = instance.media_player_new()
        player.set_media(media)
        media.release()
        player.audio_set_volume(0)  # muted before the first sample
        self._percent[deck] = 0
        events = player.event_manager()
        for kind, vlc_event in (("playing", vlc.EventType.MediaPlayerPlaying),
                                ("ended", vlc.EventType.MediaPlayerEndReached),
                                ("error", vlc.EventType.MediaPlayerEncounteredError)):
            events.event_attach(vlc_event, self._poster(kind, deck, token))
        self._players[deck] = player
        return token

    def _poster(self, kind: str, deck: DeckName, token: int) -> Callable[[object], None]:
        """A libVLC callback that only posts; runs on a VLC thread, so no libvlc calls here."""
        on_event = self._on_event

        def post(_event: object) -> None:
            if on_event is not None:
                on_event(OutputEvent(kind, deck, token))  # type: ignore[arg-type]
        return post

    def play(self, deck: DeckName) -> None:
        player = self._players[deck]
        if player is None:
            raise AudioFailed(f"deck {deck}: nothing loaded")
        if player.get_state() == vlc.State.Paused:
            player.set_pause(0)
        elif player.play() != 0:
            raise AudioFailed(f"deck {deck}: libVLC refused to play")

    def pause(self, deck: DeckName) -> None:
        player = self._players[deck]
        if player is not None and player.get_state() == vlc.State.Playing:
            player.set_pause(1)

    def stop(self, deck: DeckName) -> None:
        self._release(deck)

    def _release(self, deck: DeckName) -> None:
        player, self._players[deck] = self._players[deck], None
        self._percent[deck] = 0
        if player is not None:
            player.audio_set_volume(0)
            player.stop()
            player.release()

    def set_gain_db(self, deck: DeckName, gain_db: float | None) -> None:
        percent = db_to_vlc_percent(gain_db, self._max_gain_db)
        player = self._players[deck]
        if player is not None and percent != self._percent[deck]:
            player.audio_set_volume(percent)
            self._percent[deck] = percent

    def volume_percent(self, deck: DeckName) -> int:
        player = self._players[deck]
        return 0 if player is None else max(0, player.audio_get_volume())

    def position_s(self, deck: DeckName) -> float | None:
        player = self._players[deck]
        if player is None or player.get_state() not in _LIVE_STATES:
            return None
        return max(0, player.get_time()) / 1000.0

    def duration_s(self, deck: DeckName) -> float | None:
        player = self._players[deck]
        length = player.get_length() if player is not None else -1
        return length / 1000.0 if length > 0 else None

    def device_ok(self) -> bool:
        return self._alsa is not None and self._alsa.present(self._device)

    def close(self) -> None:
        for deck in DECKS:
            self._release(deck)
        instance, self._instance = self._instance, None
        if instance is not None:
            instance.release()
