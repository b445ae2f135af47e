"""Voice scans by file content, beside the loudness cache: each file is listened to once.

`<data_dir>/voice-cache.json` is keyed by the same content digest as
``loudness-cache.json`` (`player.audio.loudness.file_digest`), so a file renamed or copied
into a new library generation is not listened to again. Only answers are cached: a file that
could not be checked is tried again next time (onnxruntime may have been installed since).
What listens is an "ear": `player.audio.voice.ModelEar` in this process (the commands), or
`player.audio.voice_child.ChildEar`, a child process the daemon starts only while there is
something to hear, so onnxruntime and numpy never stay in the daemon's memory.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from player.audio.loudness import file_digest
from player.audio.voice import MODEL_PATH, ModelEar, VoiceScan, unchecked
from player.fsutil import atomic_write_text

log = logging.getLogger(__name__)

CACHE_VERSION = 1
CACHE_NAME = "voice-cache.json"


class Ear(Protocol):
    def listen(self, path: Path, keep_going: Callable[[], bool] | None = None) -> VoiceScan | None:
        """Listen to all of `path`; None when `keep_going` said stop."""

    def close(self) -> None:
        """End whatever listens (a child process); later `listen` calls answer None."""


def voice_lookup(data_dir: Path) -> VoiceLookup:
    """The lookup the commands use: cached in `data_dir` when it is writable, else in memory."""
    writable = data_dir.is_dir() and os.access(data_dir, os.W_OK)
    return VoiceLookup(data_dir / CACHE_NAME if writable else None)


class VoiceLookup:
    """Listens to files (or remembers having done so); thread-safe.

    Args:
        cache_path: the JSON cache (the daemon and commands pass <data_dir>/voice-cache.json);
            None keeps answers in memory only.
        model_path: the ONNX model (the shipped one; tests pass a broken one).
        ear: what listens; by default `ModelEar` (in this process) with `model_path` and `ffmpeg`.
    """

    def __init__(self, cache_path: Path | None, *, model_path: Path = MODEL_PATH, ffmpeg: str = "ffmpeg",
                 ear: Ear | None = None) -> None:
        self._cache_path = cache_path
        self._model_path = model_path
        self._ear = ear or ModelEar(model_path, ffmpeg)
        self._lock = threading.Lock()
        self._cache: dict[str, dict] | None = None

    def __repr__(self) -> str:
        return f"<VoiceLookup cache {self._cache_path}, {self._ear!r}>"

    def scan(self, path: Path, keep_going: Callable[[], bool] | None = None, *,
             listen: bool = True) -> VoiceScan | None:
        """What listening to `path` finds (cached by content).

        None when `keep_going` said stop, or (``listen=False``: the cache only) when it was never listened to.
        """
        path = Path(path)
        try:
            digest = file_digest(path)
        except OSError as exc:
            return unchecked(f"cannot read the file: {exc.strerror or exc}")
        with self._lock:
            known = self._load().get(digest)
        if known is not None:
            try:
                return VoiceScan.from_dict(known)
            except (KeyError, TypeError, ValueError):
                log.warning("voice cache entry for %s unreadable: listening again", path.name)
        if not listen:
            return None
        result = self._ear.listen(path, keep_going)
        if result is not None and result.checked:
            with self._lock:
                self._load()[digest] = {**result.as_dict(), "name": path.name}
                self._save()
        return result

    def scan_all(self, paths: Iterable[Path], *, listen: bool = True) -> dict[Path, VoiceScan]:
        """`scan` each file once; with ``listen=False`` only those already listened to."""
        found = {}
        for path in dict.fromkeys(paths):
            scan = self.scan(path, listen=listen)
            if scan is not None:
                found[path] = scan
        return found

    def close(self) -> None:
        """End the ear (the daemon's scan child); answers from the cache go on."""
        self._ear.close()

    def _load(self) -> dict[str, dict]:
        if self._cache is None:
            self._cache = {}
            if self._cache_path is not None and self._cache_path.exists():
                try:
                    data = json.loads(self._cache_path.read_text(encoding="utf-8"))
                    if data.get("version") == CACHE_VERSION and data.get("model") == self._model_path.name:
                        self._cache = dict(data.get("files", {}))
                except (OSError, ValueError, AttributeError) as exc:
                    log.warning("voice cache %s unreadable (%s): starting afresh", self._cache_path, exc)
        return self._cache

    def _save(self) -> None:
        if self._cache_path is None:
            return
        text = json.dumps({"version": CACHE_VERSION, "model": self._model_path.name, "files": self._cache},
                          indent=0, sort_keys=True)
        try:
            atomic_write_text(self._cache_path, text)
        except OSError as exc:   # a full or read-only disk costs a rescan later, nothing more
            log.warning("voice cache %s not saved: %s", self._cache_path, exc.strerror or exc)
