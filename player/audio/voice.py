"""Listen for a spoken voice in a music file: ffmpeg decodes, Silero VAD (ONNX) judges each 32 ms.

Session music must be instrumental, and a spoken intro, a guided-meditation voice-over or a
jingle left in a rip is what most often breaks a session; tags do not say so. The model is
Silero VAD (MIT licence), the "sequence" export that takes up to 512 frames per call, shipped
in ``player/data/`` (never downloaded) and run with onnxruntime alone: no torch. onnxruntime is
not in Debian 12, so it is the optional ``voice`` extra; without it every file is "could not
check", never "no voice". Audio comes from the ffmpeg the player already uses for loudness,
decoded to 16 kHz mono float and streamed in blocks, so memory stays constant for an hour-long
track. Everything that goes wrong (no onnxruntime, a model file that does not load, a file
ffmpeg cannot decode, a timeout) is a `VoiceScan` that was not checked: the scan fails closed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from player.audio.voice_ranges import MUSIC_RULES, VoiceRules, describe_ranges, speech_ranges

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "silero_vad.onnx"
SAMPLE_RATE = 16000
FRAME = 512            # samples per model step (32 ms)
CONTEXT = 64           # samples of the previous frame the model sees before each frame
BLOCK_FRAMES = 512     # frames per ONNX call: about 16 s of audio
SCAN_TIMEOUT_S = 900.0


class VoiceUnavailable(RuntimeError):
    """The scan cannot run here (no onnxruntime/numpy, or the model file does not load)."""


@dataclass(frozen=True)
class VoiceScan:
    """What listening found in one file.

    Attributes:
        checked: the whole file was decoded and judged; False is "could not check" (see `reason`).
        ranges: (start_s, end_s) of speech-like audio; empty and checked means none was heard.
        reason: why it could not be checked.
    """

    checked: bool
    ranges: tuple[tuple[float, float], ...] = ()
    reason: str = ""

    @property
    def voice(self) -> bool:
        return self.checked and bool(self.ranges)

    def describe(self) -> str:
        """``spoken voice 0:12-0:40``, ``no spoken voice heard`` or ``could not check for a voice: WHY``."""
        if not self.checked:
            return f"could not check for a spoken voice: {self.reason}"
        return f"spoken voice {describe_ranges(self.ranges)}" if self.ranges else "no spoken voice heard"

    def as_dict(self) -> dict:
        return {"checked": self.checked, "ranges": [[a, b] for a, b in self.ranges],
                "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict) -> VoiceScan:
        """The inverse of `as_dict`; raises ValueError/TypeError/KeyError on anything else."""
        ranges = tuple((float(a), float(b)) for a, b in data["ranges"])
        return cls(bool(data["checked"]), ranges, str(data.get("reason", "")))


def unchecked(reason: str) -> VoiceScan:
    return VoiceScan(False, (), reason)


def onnxruntime_version() -> str | None:
    """The installed onnxruntime's version, None without it (the ``voice`` extra)."""
    try:
        import onnxruntime
    except ImportError:
        return None
    return str(onnxruntime.__version__)


class VoiceModel:
    """The loaded model; `probabilities` is safe from one thread at a time per instance.

    Raises:
        VoiceUnavailable: onnxruntime or numpy missing, or the model file cannot be loaded.
    """

    def __init__(self, path: Path = MODEL_PATH) -> None:
        try:   # onnxruntime first: without it, numpy (~10 MB in the daemon) is never loaded for nothing
            import onnxruntime
        except ImportError as exc:
            raise VoiceUnavailable(f"{exc.name or 'onnxruntime'} is not installed (the 'voice' extra)") from None
        try:
            import numpy
        except ImportError as exc:
            raise VoiceUnavailable(f"{exc.name or 'onnxruntime'} is not installed (the 'voice' extra)") from None
        self._np = numpy
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1   # one core: playback and the web page keep the others
        options.inter_op_num_threads = 1
        options.log_severity_level = 4     # a broken model is reported by us, once, not spewed on stderr
        try:
            self._session = onnxruntime.InferenceSession(str(path), sess_options=options,
                                                         providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types for a bad file
            raise VoiceUnavailable(f"the voice model {path.name} cannot be loaded: "
                                   f"{str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") from None
        self.path = path

    def __repr__(self) -> str:
        return f"<VoiceModel {self.path.name}>"

    def stream(self) -> _Stream:
        """A fresh listener for one file (the model's memory starts empty)."""
        return _Stream(self._session, self._np)


class _Stream:
    """Feeds one file's samples to the model block by block, carrying its state and context."""

    def __init__(self, session: object, np: object) -> None:
        self._session, self._np = session, np
        self._hidden = np.zeros((1, 1, 128), dtype=np.float32)
        self._cell = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self.probabilities: list[float] = []

    def feed(self, samples: object) -> None:
        """Judge whole frames of `samples` (float32 16 kHz mono; the last frame zero-padded)."""
        np = self._np
        count = -(-samples.size // FRAME)
        if not count:
            return
        frames = np.zeros((count, FRAME), dtype=np.float32)
        frames.reshape(-1)[:samples.size] = samples
        contexts = np.empty((count, CONTEXT), dtype=np.float32)
        contexts[0] = self._context
        contexts[1:] = frames[:-1, -CONTEXT:]
        self._context = frames[-1, -CONTEXT:].copy()
        out, self._hidden, self._cell = self._session.run(
            ["speech_probs", "hn", "cn"],
            {"input": np.concatenate((contexts, frames), axis=1), "h": self._hidden, "c": self._cell})
        if not np.isfinite(out).all():   # a damaged model must not read as "no voice"
            raise ValueError("the model gave no usable probabilities (NaN)")
        self.probabilities.extend(float(p) for p in out.reshape(-1))


def _lower_priority(pid: int) -> None:
    """Nice 10 for ffmpeg, never higher than it already is (the daemon's scan child is at 19 already)."""
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, pid) < 10:
            os.setpriority(os.PRIO_PROCESS, pid, 10)   # playback first: listening may take its time


class ModelEar:
    """Listens in this process: the model is loaded on first use, once; if it cannot be, every file is
    "could not check" (the commands, which exit; the daemon listens through `player.audio.voice_child`).
    """

    def __init__(self, model_path: Path = MODEL_PATH, ffmpeg: str = "ffmpeg") -> None:
        self.model_path = model_path
        self._ffmpeg = ffmpeg
        self._lock = threading.Lock()
        self._model: VoiceModel | VoiceUnavailable | None = None

    def __repr__(self) -> str:
        return f"<ModelEar {self.model_path.name}>"

    def model(self) -> VoiceModel | VoiceUnavailable:
        """The loaded model, or why it cannot be (decided once)."""
        with self._lock:
            if self._model is None:
                try:
                    self._model = VoiceModel(self.model_path)
                except VoiceUnavailable as exc:
                    log.warning("voice scan unavailable: %s", exc)
                    self._model = exc
            return self._model

    def listen(self, path: Path, keep_going: Callable[[], bool] | None = None) -> VoiceScan | None:
        """`scan_file` with the model; None when `keep_going` said stop."""
        model = self.model()
        if isinstance(model, VoiceUnavailable):
            return unchecked(str(model))
        return scan_file(path, model, ffmpeg=self._ffmpeg, keep_going=keep_going)

    def close(self) -> None:
        """Nothing to end: the model goes with this process."""


def _drain(pipe: object, tail: list[bytes]) -> None:
    """Read `pipe` to its end, keeping only its last 4 KiB in `tail`."""
    while chunk := pipe.read(4096):
        tail.append(chunk)
        del tail[:-2]


def scan_file(path: Path, model: VoiceModel, *, ffmpeg: str = "ffmpeg", rules: VoiceRules = MUSIC_RULES,
              timeout_s: float = SCAN_TIMEOUT_S, keep_going: Callable[[], bool] | None = None) -> VoiceScan | None:
    """Decode `path` with ffmpeg (16 kHz mono) and listen to all of it; never raises for a bad file.

    `keep_going` is asked between blocks (about 16 s of audio each): when it says False the scan
    stops and returns None, so more urgent work (a gain the mixer waits for) goes first.
    """
    import numpy as np

    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:a:0",
           "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        return unchecked(f"ffmpeg cannot run: {exc.strerror or exc}")
    _lower_priority(proc.pid)
    errors: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(proc.stderr, errors), daemon=True)
    reader.start()   # ffmpeg must never block on a full stderr pipe (a damaged file logs every frame)
    expired = threading.Event()
    timer = threading.Timer(timeout_s, lambda: (expired.set(), proc.kill()))
    timer.start()
    stream = model.stream()
    block = BLOCK_FRAMES * FRAME * 4
    try:
        assert proc.stdout is not None
        while data := proc.stdout.read(block):
            if keep_going is not None and not keep_going():
                return None
            stream.feed(np.frombuffer(data[:len(data) - len(data) % 4], dtype=np.float32))
        proc.wait()
    except Exception as exc:  # noqa: BLE001 - the model failing mid-file is "could not check", never "no voice"
        return unchecked(f"the voice model failed: {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(5)
    if proc.returncode != 0 or not stream.probabilities:
        said = b"".join(errors)[-4096:].decode("utf-8", "replace").strip().splitlines()
        if expired.is_set():
            return unchecked(f"decoding took longer than {timeout_s:g} s")
        if proc.returncode != 0:
            return unchecked(f"cannot decode: {said[-1][:200] if said else f'ffmpeg exit status {proc.returncode}'}")
        return unchecked("no audio in the file")
    return VoiceScan(True, tuple((round(a, 2), round(b, 2)) for a, b in speech_ranges(stream.probabilities, rules)))
