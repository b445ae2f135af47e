#!/usr/bin/env python3
"""The nursing station under a clinic's load: 50 chairs through one local Mosquitto.

Each simulated chair is the real publisher (player/mqtt/publisher.py) over a FakeController
(the real session rules, no audio): status every 5 s and on every change, and events at a
busy clinic's rate (a staff mark every ~10 s per chair on average, far above a session's
real few per minute, so there are enough samples). The station runs as its own process
(``session-player station``), the broker as its own; this process reads the station's live
stream (SSE) as a page would.

Figures: end-to-end latency (the record leaves the chair's engine -> its tile arrives over
SSE) p50/p99, against a same-run baseline: the broker alone (the record leaves the engine ->
a plain MQTT subscriber in this process has it); the station's and the broker's CPU (% of
one core, from /proc) under load and idle. Goals: p99 < 250 ms, station < 5 % of one core.

Run: .venv/bin/python bench/station.py [--chairs 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.config import Config, MqttConfig  # noqa: E402
from player.control.fake import FakeController  # noqa: E402
from player.mqtt.client import MqttLink  # noqa: E402
from player.mqtt.publisher import ChairPublisher  # noqa: E402
from player.mqtt.topics import room_slug  # noqa: E402
from tests.support.broker import Broker, free_port, missing_broker  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_percent(pids: dict[str, int], seconds: float) -> dict[str, float]:
    before = {k: cpu_s(p) for k, p in pids.items()}
    time.sleep(seconds)
    return {k: 100 * (cpu_s(p) - before[k]) / seconds for k, p in pids.items()}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Stamps:
    """When each record left its chair's engine, and when it reached the station's page and the plain subscriber."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: dict[tuple, float] = {}
        self.tile: dict[tuple, float] = {}
        self.broker: dict[tuple, float] = {}

    def listener(self, slug: str):
        def on_record(record: dict) -> None:
            with self.lock:
                self.sent[(slug, record.get("session_id"), record["seq"])] = time.monotonic()
        return on_record

    def got(self, where: dict, key: tuple) -> None:
        now = time.monotonic()
        with self.lock:
            if key in self.sent and key not in where:
                where[key] = now


def read_sse(port: int, token: str, stamps: Stamps, stop: threading.Event) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/api/events", headers={"Authorization": f"Bearer {token}"})
    reply = conn.getresponse()
    kind = None
    while not stop.is_set():
        line = reply.fp.readline()
        if not line:
            return
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: ") and kind == "chair":
            view = json.loads(line[6:])
            last = view.get("last_event")
            if last:
                stamps.got(stamps.tile, (view["slug"], last.get("session_id"), last.get("seq")))


def start_station(tmp: Path, broker_port: int) -> tuple[subprocess.Popen, int, str]:
    port = free_port()
    cfg = tmp / "station.yaml"
    cfg.write_text(yaml.safe_dump({"data_dir": str(tmp / "station"), "web": {"port": port, "max_connections": 64},
                                   "mqtt": {"host": "127.0.0.1", "port": broker_port}}))
    with open(tmp / "station.log", "wb") as log:   # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([sys.executable, "-m", "player.cli", "station", "--config", str(cfg)],
                                stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port, (tmp / "station" / "web-token").read_text().strip()
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the station did not start: " + (tmp / "station.log").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chairs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--mark-every-s", type=float, default=10.0, help="mean time between one chair's marks")
    args = parser.parse_args()
    why = missing_broker()
    if why:
        raise SystemExit(why)
    tmp = Path(tempfile.mkdtemp(prefix="bench-station-"))
    stamps = Stamps()
    with Broker(tmp / "broker") as broker:
        station, port, token = start_station(tmp, broker.port)
        pids = {"station": station.pid, "broker": broker.process.pid}
        try:
            idle = cpu_percent(pids, 10.0)
            plain = MqttLink(MqttConfig(host="127.0.0.1", port=broker.port), "bench-plain")
            plain.on_connect = lambda: plain.subscribe("session-player/+/events")
            def plain_got(topic: str, payload: bytes, retained: bool) -> None:
                record = json.loads(payload)
                stamps.got(stamps.broker, (topic.split("/")[1], record.get("session_id"), record.get("seq")))

            plain.on_message = plain_got
            plain.start()
            stop = threading.Event()
            reader = threading.Thread(target=read_sse, args=(port, token, stamps, stop), daemon=True)
            reader.start()
            chairs = []
            for n in range(args.chairs):
                controller = FakeController(room=f"Room {n + 1}")
                controller.subscribe(stamps.listener(room_slug(f"Room {n + 1}")))
                config = Config(room=f"Room {n + 1}", data_dir=tmp / f"chair{n}",
                                mqtt=MqttConfig(enabled=True, host="127.0.0.1", port=broker.port))
                feed = ChairPublisher(config, controller)
                feed.start()
                controller.submit("start", source="button", playlist="Ketamine 40 min")
                chairs.append((controller, feed))
            time.sleep(5.0)   # every chair connected and its first status out
            with stamps.lock:
                stamps.sent.clear()
            rng = random.Random(17)
            load = {}

            def measure() -> None:
                load.update(cpu_percent(pids, args.seconds))

            meter = threading.Thread(target=measure)
            meter.start()
            end = time.monotonic() + args.seconds
            marks = 0
            while time.monotonic() < end:
                time.sleep(rng.expovariate(args.chairs / args.mark_every_s))
                controller, _ = rng.choice(chairs)
                controller.submit("mark", source="web", text=f"mark {marks}")
                marks += 1
            meter.join()
            time.sleep(2.0)   # the last ones arrive
            stop.set()
            for _, feed in chairs:
                feed.close()
            plain.close()
        finally:
            station.terminate()
            station.wait(20)
    with stamps.lock:
        tile = [1000 * (stamps.tile[k] - stamps.sent[k]) for k in stamps.tile if k in stamps.sent]
        plain_ms = [1000 * (stamps.broker[k] - stamps.sent[k]) for k in stamps.broker if k in stamps.sent]
        sent = len(stamps.sent)
    print(f"{args.chairs} chairs, {args.seconds:g} s, {marks} marks ({sent} event records) through one mosquitto")
    print(f"  end to end (chair engine -> station tile over SSE): {len(tile)}/{sent} records seen; "
          f"p50 {statistics.median(tile):.1f} ms, p99 {pct(tile, 0.99):.1f} ms, max {max(tile):.1f} ms")
    print(f"  baseline, broker alone (chair engine -> plain MQTT subscriber): {len(plain_ms)}/{sent}; "
          f"p50 {statistics.median(plain_ms):.1f} ms, p99 {pct(plain_ms, 0.99):.1f} ms")
    print(f"  CPU, % of one core, under load: station {load['station']:.1f} %, broker {load['broker']:.1f} %; "
          f"idle (no chairs, 10 s): station {idle['station']:.1f} %, broker {idle['broker']:.1f} %")
    goal = pct(tile, 0.99) < 250 and load["station"] < 5
    print(f"  goals (p99 < 250 ms, station < 5 % of one core): {'met' if goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
