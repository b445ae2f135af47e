"""The daemon's voice scans run in a child process that exits when there is nothing left to hear.

onnxruntime, numpy and the model cost the daemon about 62 MB of memory (issue 23: a Pi may have
512 MB) for a job done once per file, so the daemon never loads them: `ChildEar` starts
``python -m player.audio.voice_child`` when a file is to be heard, at the lowest priority
(`player.background.spawn_lowered`: nice 19, SCHED_IDLE, I/O class idle; its ffmpeg inherits
them), and talks to it over its stdin and stdout, one JSON line each way:

    daemon -> child   {"path": "/music/a.flac"}    listen to this file
                      {"stop": true}               stop the file in hand at its next block (~16 s of audio)
    child -> daemon   VoiceScan.as_dict()          the answer, one per file
                      {"stopped": true}            stopped: the daemon asks again later
                      as_dict() + "unavailable"    no model here (no onnxruntime): decided once

The child exits `idle_s` after its last answer (its memory goes back) or when its stdin
closes (the daemon gone). A child that crashes, hangs (no answer in `answer_timeout_s`) or
answers garbage is killed; that file is "could not check" with the reason (the voice worker
logs it), and the next file gets a fresh child. The music never depends on any of this.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from player.audio.voice import MODEL_PATH, SCAN_TIMEOUT_S, ModelEar, VoiceScan, VoiceUnavailable, unchecked
from player.background import signal_name, spawn_lowered

log = logging.getLogger(__name__)

MODULE = "player.audio.voice_child"
IDLE_S = 30.0                               # the child exits this long after its last answer
ANSWER_TIMEOUT_S = SCAN_TIMEOUT_S + 120.0   # the scan's own ffmpeg time-out, plus starting and loading the model
MAX_ANSWER_BYTES = 1 << 20
Spawn = Callable[[Callable[[], subprocess.Popen]], subprocess.Popen]


class _Retry:
    """The child left (idle) just as it was asked: ask a fresh one."""


class ChildEar:
    """Listens through a child process (see the module doc). `listen` from one thread at a time; `close` from any.

    Args:
        model_path, ffmpeg: passed on to the child.
        idle_s: the child exits this long after its last answer.
        answer_timeout_s: a child that has not answered a file in this long is hung: killed.
        command: the child's command line (tests pass broken children); by default this
            interpreter runs this module, with the code's folder on its path (the Debian
            package keeps `player` outside dist-packages).
        spawn: starts the Popen; `spawn_lowered` puts the child at the lowest priority.
        poll_s: how often a wait for an answer asks `keep_going` (and `close` is noticed).
    """

    def __init__(self, *, model_path: Path = MODEL_PATH, ffmpeg: str = "ffmpeg", idle_s: float = IDLE_S,
                 answer_timeout_s: float = ANSWER_TIMEOUT_S, command: Sequence[str] | None = None,
                 spawn: Spawn = spawn_lowered, poll_s: float = 0.5) -> None:
        self._command = list(command or (sys.executable, "-m", MODULE, "--model", str(model_path),
                                         "--ffmpeg", ffmpeg, "--idle-s", f"{idle_s:g}"))
        code_root = str(Path(__file__).resolve().parents[2])
        self._env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (code_root,
                                                                               os.environ.get("PYTHONPATH"))))}
        self._answer_timeout_s = answer_timeout_s
        self._spawn = spawn
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._listening = False
        self._closed = False
        self._unavailable: str | None = None
        self.started = 0   # children started so far

    def __repr__(self) -> str:
        return f"<ChildEar {'pid ' + str(self.pid) if self.pid else 'no child'}, {self.started} started>"

    @property
    def pid(self) -> int | None:
        """The running child's pid, None when there is none."""
        with self._lock:
            return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def listen(self, path: Path, keep_going: Callable[[], bool] | None = None) -> VoiceScan | None:
        """The child's answer for `path`; None when `keep_going` said stop (or after `close`)."""
        for _ in range(2):
            with self._lock:
                if self._closed:
                    return None
                if self._unavailable is not None:
                    return unchecked(self._unavailable)
                try:
                    proc = self._child()
                except OSError as exc:
                    return unchecked(f"the voice scan process cannot start: {exc.strerror or exc}")
                self._listening = True
            try:
                found = self._ask(proc, path, keep_going)
            finally:
                with self._lock:
                    self._listening = False
                    closed = self._closed
            if closed:
                self._discard(proc)
                return None
            if found is not _Retry:
                return found  # type: ignore[return-value]
        return unchecked("the voice scan process ended without an answer (exit status 0)")

    def wait_gone(self, timeout_s: float) -> bool:
        """Block until no child runs (it left when idle, or was ended); True if so."""
        with self._lock:
            proc = self._proc
        if proc is None:
            return True
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def close(self) -> None:
        """Kill the child (a `listen` in progress returns None); safe twice, from any thread."""
        with self._lock:
            self._closed = True
            proc, self._proc = self._proc, None
            listening = self._listening
        if proc is None:
            return
        if listening:
            proc.kill()            # the listening thread sees its answer pipe end and discards it
        else:
            _end(proc)

    def _child(self) -> subprocess.Popen:
        """The running child, or a new one (lock held)."""
        if self._proc is not None and self._proc.poll() is not None:   # it left when idle
            _end(self._proc)
            self._proc = None
        if self._proc is None:
            self._proc = self._spawn(lambda: subprocess.Popen(self._command, stdin=subprocess.PIPE,
                                                              stdout=subprocess.PIPE, bufsize=0, env=self._env))
            self.started += 1
        return self._proc

    def _discard(self, proc: subprocess.Popen) -> None:
        with self._lock:
            if self._proc is proc:
                self._proc = None
        _end(proc)

    def _failed(self, proc: subprocess.Popen, reason: str) -> VoiceScan:
        self._discard(proc)
        return unchecked(reason)

    def _ask(self, proc: subprocess.Popen, path: Path,
             keep_going: Callable[[], bool] | None) -> VoiceScan | None | type[_Retry]:
        """Send `path`, wait for the answer (passing on a stop), and judge it."""
        deadline = time.monotonic() + self._answer_timeout_s
        buffer = b""
        ended = not _send(proc, {"path": str(path)})
        stop_sent = False
        assert proc.stdout is not None
        while not ended and b"\n" not in buffer:
            if not stop_sent and keep_going is not None and not keep_going():
                stop_sent = True
                _send(proc, {"stop": True})
            left = deadline - time.monotonic()
            if left <= 0:
                return self._failed(proc, f"the voice scan process did not answer within {self._answer_timeout_s:g} s")
            if select.select([proc.stdout], [], [], min(self._poll_s, left))[0]:
                chunk = os.read(proc.stdout.fileno(), 65536)
                ended = not chunk
                buffer += chunk
                if len(buffer) > MAX_ANSWER_BYTES:
                    return self._failed(proc, "the voice scan process answered something unreadable")
        if ended:
            try:
                code = proc.wait(5)
            except subprocess.TimeoutExpired:
                code = None
            self._discard(proc)
            if code == 0 and not buffer:
                return _Retry
            return unchecked(f"the voice scan process ended without an answer ({_status(code)})")
        line, _, rest = buffer.partition(b"\n")
        try:
            answer = json.loads(line)
            if answer.get("stopped") is True and stop_sent and not rest:
                return None
            found = VoiceScan.from_dict(answer)
        except (ValueError, TypeError, KeyError, AttributeError):
            found = None
        if found is None or rest:
            return self._failed(proc, "the voice scan process answered something unreadable")
        if answer.get("unavailable"):
            log.warning("voice scan unavailable: %s", found.reason)
            with self._lock:
                self._unavailable = found.reason   # decided once, as in the commands: no more children
            self._discard(proc)
        return found


def _send(proc: subprocess.Popen, message: dict) -> bool:
    """Write one request line; False when the child is gone."""
    try:
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(message).encode() + b"\n")
        return True
    except (OSError, ValueError):
        return False


def _end(proc: subprocess.Popen) -> None:
    """Kill (if still running), reap and close the pipes of a child."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


def _status(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        return f"killed by {signal_name(-code)}"
    return f"exit status {code}"


# --- the child ---------------------------------------------------------------------------


def _read_requests(pipe: BinaryIO, requests: queue.Queue, stop: threading.Event, gone: threading.Event) -> None:
    """Paths go to `requests`; a stop request sets `stop`; the pipe's end (the daemon gone) sets `gone`.

    `stop` is cleared here, as each path is read, not when it is taken up: a stop for a file
    (which may come before the file is taken up) always follows that file's path in the pipe.
    """
    try:
        for line in pipe:
            message = json.loads(line)
            if message.get("stop"):
                stop.set()
            else:
                stop.clear()
                requests.put(str(message["path"]))
    except (ValueError, KeyError, AttributeError, OSError):
        pass   # nothing more can be understood: as if the daemon were gone
    gone.set()
    requests.put(None)


def main(argv: list[str] | None = None) -> int:
    """The child: listen to each path asked for, answer, and exit when idle or when the daemon is gone."""
    ap = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    ap.add_argument("--model", type=Path, default=MODEL_PATH)
    ap.add_argument("--ffmpeg", default="ffmpeg")
    ap.add_argument("--idle-s", type=float, default=IDLE_S)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="voice scan: %(message)s")   # the daemon says it, once
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)   # a library printing to stdout must not garble the answers
    requests: queue.Queue[str | None] = queue.Queue()
    stop, gone = threading.Event(), threading.Event()
    # unbuffered: a buffered sys.stdin's lock, held by the reading thread, would abort the interpreter's exit
    pipe = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)  # noqa: SIM115 - read until this process ends
    threading.Thread(target=_read_requests, args=(pipe, requests, stop, gone), daemon=True).start()
    ear = ModelEar(args.model, args.ffmpeg)
    while True:
        try:
            path = requests.get(timeout=args.idle_s)
        except queue.Empty:
            return 0   # nothing left to hear
        if path is None:
            return 0
        model = ear.model()
        if isinstance(model, VoiceUnavailable):
            answer = {**unchecked(str(model)).as_dict(), "unavailable": True}
        else:
            found = ear.listen(Path(path), lambda: not stop.is_set() and not gone.is_set())
            answer = {"stopped": True} if found is None else found.as_dict()
        try:
            answers.write(json.dumps(answer) + "\n")
            answers.flush()
        except BrokenPipeError:
            return 0


if __name__ == "__main__":
    sys.exit(main())
