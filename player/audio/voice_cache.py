"""Voice scans by file content, beside the loudness cache: each file is listened to once.

`<data_dir>/voice-cache.json` is keyed by the same content digest as
``loudness-cache.json`` (`player.audio.loudness.file_digest`), so a file renamed or copied
into a new library generation is not listened to again. Only answers are cached: a file that
could not be checked is tried again next time (onnxruntime may have been installed since).
The model is loaded on first use, once; if it cannot be, every file is "could not check".
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from player.audio.loudness import file_digest
from player.audio.voice import MODEL_PATH, VoiceModel, VoiceScan, VoiceUnavailable, scan_file, unchecked
from player.fsutil import atomic_write_text

log = logging.getLogger(__name__)

CACHE_VERSION = 1
CACHE_NAME = "voice-cache.json"


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
    """

    def __init__(self, cache_path: Path | None, *, model_path: Path = MODEL_PATH, ffmpeg: str = "ffmpeg") -> None:
        self._cache_path = cache_path
        self._model_path = model_path
        self._ffmpeg = ffmpeg
        self._lock = threading.Lock()
        self._cache: dict[str, dict] | None = None
        self._model: VoiceModel | VoiceUnavailable | None = None

    def __repr__(self) -> str:
        return f"<VoiceLookup cache {self._cache_path}>"

    def model(self) -> VoiceModel | VoiceUnavailable:
        """The loaded model, or why it cannot be (decided once)."""
        with self._lock:
            if self._model is None:
                try:
                    self._model = VoiceModel(self._model_path)
                except VoiceUnavailable as exc:
                    log.warning("voice scan unavailable: %s", exc)
                    self._model = exc
            return self._model

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
        model = self.model()
        if isinstance(model, VoiceUnavailable):
            return unchecked(str(model))
        result = scan_file(path, model, ffmpeg=self._ffmpeg, keep_going=keep_going)
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
