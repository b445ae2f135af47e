"""Benchmark of the staff web server: status requests/s, SSE fan-out latency, idle CPU.

Runs the real `WebServer` on localhost against a `FakeController` that emits events, and
prints figures (no pass/fail). Baselines measured in the same run: /healthz (the cheapest
route) for request rate, and the whole process's CPU with no server for idle cost.

    .venv/bin/python bench/web.py                      # defaults: 20 SSE clients, 20 s idle
    eval "$(../shared/tools/audio-sink start)"
    .venv/bin/python bench/web.py --audio              # same, while libVLC plays into the sink

CPU of the server is the CPU time of its own thread (`web`), so the benchmark's client
threads do not count against it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from player.config import Config, WebConfig
from player.control.fake import FakeController
from player.web import WebServer


def thread_cpu_s(name: str) -> float:
    """CPU seconds used so far by the live thread called `name`."""
    for thread in threading.enumerate():
        if thread.name == name and thread.ident is not None:
            return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    raise LookupError(name)


def request_rate(port: int, token: str, path: str, seconds: float, threads: int) -> float:
    """Requests/s over `threads` keep-alive connections for `seconds`."""
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Bearer {token}"}
        while time.perf_counter() < stop:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200, resp.status
            counts[i] += 1
        conn.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - started)


class SseClient(threading.Thread):
    """Reads /api/events and notes when each event (by its marker text) arrived."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.conn.request("GET", "/api/events", headers={"Authorization": f"Bearer {token}"})
        self.response = self.conn.getresponse()
        self.arrived: dict[str, float] = {}
        self.ready = threading.Event()
        self.lock = threading.Lock()
        self.got = threading.Condition(self.lock)

    def run(self) -> None:
        kind = ""
        try:
            for raw in self.response:
                line = raw.decode()
                if line.startswith("event: "):
                    kind = line[7:].strip()
                elif line.startswith("data: "):
                    if kind == "status":
                        self.ready.set()
                    elif kind == "event":
                        text = json.loads(line[6:])["details"].get("text")
                        with self.got:
                            self.arrived[text] = time.perf_counter()
                            self.got.notify_all()
        except (OSError, ValueError, AttributeError):
            pass

    def wait_for(self, text: str, timeout: float) -> float | None:
        with self.got:
            self.got.wait_for(lambda: text in self.arrived, timeout)
            return self.arrived.get(text)

    def close(self) -> None:
        self.conn.close()


def fan_out(server: WebServer, controller: FakeController, token: str, clients: int, events: int) -> list[float]:
    """Seconds from publishing each event to the last of `clients` pages receiving it."""
    readers = [SseClient(server.port, token) for _ in range(clients)]
    for r in readers:
        r.start()
    for r in readers:
        assert r.ready.wait(10), "an SSE client got no status"
    latencies = []
    try:
        for i in range(events):
            text = f"bench {i}"
            sent = time.perf_counter()
            controller.submit("mark", source="cli", text=text)
            arrivals = [r.wait_for(text, 10) for r in readers]
            assert all(a is not None for a in arrivals), "an event was lost"
            latencies.append(max(arrivals) - sent)
            time.sleep(0.02)
    finally:
        for r in readers:
            r.close()
    return latencies


def idle_cpu(seconds: float, thread_name: str | None) -> float:
    """Percent of one core used over `seconds` by one thread (or the whole process if None)."""
    clock = (lambda: thread_cpu_s(thread_name)) if thread_name else time.process_time
    cpu0, wall0 = clock(), time.perf_counter()
    time.sleep(seconds)
    return 100 * (clock() - cpu0) / (time.perf_counter() - wall0)


def start_audio(device: str):
    """Play a looping 60 s tone through libVLC (ALSA `device`) so the figures are taken while audio plays."""
    import numpy as np
    import soundfile as sf
    import vlc

    path = Path(tempfile.mkdtemp()) / "tone.flac"
    t = np.arange(60 * 48000) / 48000
    sf.write(path, (0.1 * np.sin(2 * np.pi * 440 * t)).astype("float32"), 48000)
    instance = vlc.Instance(["--aout=alsa", f"--alsa-audio-device={device}", "--no-volume-save", "--input-repeat=100",
                             "--quiet"])
    player = instance.media_player_new()
    player.set_media(instance.media_new(str(path)))
    player.audio_set_volume(30)
    player.play()
    return player


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="SSE clients for the fan-out")
    parser.add_argument("--events", type=int, default=50, help="events published in the fan-out")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each request-rate run")
    parser.add_argument("--threads", type=int, default=4, help="client threads for the request rate")
    parser.add_argument("--idle-s", type=float, default=20.0, help="length of each idle CPU measurement")
    parser.add_argument("--audio", action="store_true", help="play a tone through libVLC meanwhile")
    parser.add_argument("--audio-device", default="pulse", help="ALSA device for --audio (default pulse)")
    args = parser.parse_args()

    player = None
    if args.audio:
        if not os.environ.get("PULSE_SERVER") and args.audio_device == "pulse":
            parser.error('--audio with device pulse needs eval "$(../shared/tools/audio-sink start)" first')
        player = start_audio(args.audio_device)
        time.sleep(1)
        print(f"audio: libVLC playing a tone on ALSA {args.audio_device!r} (state {player.get_state()})")

    baseline_idle = idle_cpu(min(5.0, args.idle_s), None)
    controller = FakeController(room="Bench")
    with tempfile.TemporaryDirectory() as data_dir:
        config = Config(data_dir=Path(data_dir), web=WebConfig(port=0))
        with WebServer(config, controller) as server:
            token = config.token_path.read_text().strip()
            controller.submit("start", source="cli")
            print(f"server {server.url}, {os.cpu_count()} cores, pid {os.getpid()}")

            health = request_rate(server.port, token, "/healthz", args.seconds, args.threads)
            status = request_rate(server.port, token, "/api/status", args.seconds, args.threads)
            print(f"requests/s over {args.threads} keep-alive connections, {args.seconds:g} s each:")
            print(f"  GET /healthz    {health:8.0f}/s   (baseline: no auth, tiny body)")
            print(f"  GET /api/status {status:8.0f}/s   ({status / health:.2f} x baseline)")

            lat = sorted(fan_out(server, controller, token, args.clients, args.events))
            print(f"SSE fan-out, event -> all {args.clients} clients received it ({len(lat)} events):")
            print(f"  median {1000 * statistics.median(lat):.1f} ms, p95 {1000 * lat[int(0.95 * (len(lat) - 1))]:.1f}"
                  f" ms, max {1000 * lat[-1]:.1f} ms")

            quiet = threading.Event()
            waited = 0.0
            while server.live_clients and waited < 10:  # let the fan-out's pages go away first
                quiet.wait(0.05)
                waited += 0.05
            cpu_none = idle_cpu(args.idle_s, "web")
            page = SseClient(server.port, token)
            page.start()
            page.ready.wait(10)
            cpu_page = idle_cpu(args.idle_s, "web")
            page.close()
            process_none = idle_cpu(min(5.0, args.idle_s), None)
            print(f"idle CPU of the server thread over {args.idle_s:g} s (goal < 1% of one core):")
            print(f"  no page open          {cpu_none:.3f} %")
            print(f"  one live page open    {cpu_page:.3f} %   (a status snapshot every second)")
            print(f"  whole process, server idle {process_none:.3f} % vs {baseline_idle:.3f} % before the server")
    if player is not None:
        player.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
