#!/usr/bin/env python3
"""Never silent, never an unasked jump: what the patient hears through a whole session.

Three captures through the whole daemon, real libVLC and the virtual sound card, each on a
fresh data dir (nothing measured or cached, as an imported playlist's first session):

1. a session of the demo's shape (3.5 min, five phases, its crossfades and fades) on steady
   music mastered at -30 to -12 LUFS: the largest level change between adjacent 1 s windows
   that nobody asked for (the start fade-in and the final fade-out are asked for and left
   out); goal <= 1.5 dB. Baseline, same run: the same tracks normalized offline with ffmpeg's
   loudnorm and played back to back at one fixed gain by a bare libVLC (hard cuts, no fades);
2. five tracks, two of them broken after the start (one overwritten with noise, one deleted):
   the longest silence once the music has begun; goal <= 2 s;
3. two tracks of the same loudness, an 8 s crossfade: how far the level dips below the steady
   level on both sides; goal <= 0.5 dB. Baseline: a linear crossfade's dip is 3 dB (MPD 0.23:
   3.0 dB measured the same way, see the engineering notes);
4. quiet masters (issue 22): pink noise mastered at -36.7, -16.7 and -27.1 LUFS, 16 s each,
   3 s crossfades, the shipped level settings (rise_s shortened to 10 s): the spread of the
   1 s levels after the start fade and the largest change between adjacent seconds; goal
   <= 1.0 dB and <= 1.5 dB. Baseline in the same run: the same tracks normalized offline by
   ffmpeg's loudnorm (two passes, linear) to the target, joined by equal-power 3 s crossfades
   (acrossfade qsin) and played by bare libVLC at a fixed -12 dB: what a perfect player does.

Levels are of the 200 Hz-8 kHz band (pink noise's own sub-Hz wander would otherwise read as
+-1.5 dB).
Run: .venv/bin/python bench/level_continuity.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def session(tmp: Path, sink, playlist: Path, seconds: float, volume: dict, during=None) -> np.ndarray:
    from player.daemon import Daemon

    data = tmp / f"data-{playlist.stem}"
    config = {"room": "Bench", "data_dir": str(data), "audio": {"device": "pulse"}, "hardware": {"enabled": False},
              "web": {"enabled": False}, "volume": volume}
    recording = sink.record()
    try:
        with Daemon(config) as daemon:
            daemon.controller.submit("start", source="cli", playlist=str(playlist))
            if during is not None:
                during()
            threading.Event().wait(seconds)
    finally:
        samples = recording.stop()
    return samples


def demo(tmp: Path, sink) -> str:
    """The demo session's shape (five phases, 3.5 min, 6 s crossfades, its fades) on steady music.

    The demo library's own synthesized music swells by up to 4.8 dB from one second to the
    next (measured on its files), which would hide what the player does; so each phase here
    plays pink noise mastered at a different loudness (-30 to -12 LUFS), fresh and unmeasured:
    every level change heard is then the player's.
    """
    from tests.audio.signals import pink_noise
    from tests.support.audio_sink import band_envelope

    music = tmp / "steady"
    music.mkdir()
    masters = {"settling": (-30, -14), "onset": (-22, -12), "peak": (-26,), "comedown": (-16, -28),
               "recovery": (-20, -24)}
    lengths = {"settling": 30, "onset": 40, "peak": 60, "comedown": 40, "recovery": 40}
    body = "name: Demo shape, steady music\ncrossfade: 6s\nphases:\n"
    for seed, (phase, levels) in enumerate(masters.items()):
        files = []
        for n, lufs in enumerate(levels):
            files.append(f"steady/{phase}-{n}.flac")
            pink_noise(tmp / files[-1], 34.0 if len(levels) > 1 else 64.0, lufs, seed=100 + 10 * seed + n)
        extra = {"settling": "    fade_in: 10s\n", "recovery": "    fade_out: 15s\n"}.get(phase, "")
        body += f"  - name: {phase}\n    duration: {lengths[phase]}s\n{extra}    tracks: [{', '.join(files)}]\n"
    playlist = tmp / "demo-shape.yaml"
    playlist.write_text(body)
    samples = session(tmp, sink, playlist, 218.0, {"start_db": -20, "default_db": -14})
    levels = band_envelope(samples, 1000.0).rms_db
    audible = np.nonzero(levels > -75)[0]
    first, last = audible[0], audible[-1]
    asked_in, asked_out = 10 + 2, 15 + 2                     # the playlist's fade_in and fade_out (+ windows)
    inner = levels[first + asked_in: last - asked_out]
    steps = np.abs(np.diff(inner))
    worst = int(np.argmax(steps))
    base = offline_baseline(tmp, sink, masters, lengths)
    return (f"demo-shaped session (five phases, tracks mastered -30 to -12 LUFS, fresh data dir): {len(inner)} s "
            f"between the start fade and the final fade; largest change between adjacent 1 s windows "
            f"{steps[worst]:.2f} dB (at {first + asked_in + worst} s), 95th percentile "
            f"{np.percentile(steps, 95):.2f} dB (goal <= 1.5 dB; the rise from start_db -20 to -14 over 60 s "
            f"is asked for: 0.1 dB/s). Baseline, same run: the same tracks normalized offline by ffmpeg "
            f"loudnorm (two passes, linear) and played back to back at a fixed gain by a bare libVLC: largest "
            f"{np.max(base):.2f} dB, 95th percentile {np.percentile(base, 95):.2f} dB; ratio of the largest "
            f"{steps[worst] / max(float(np.max(base)), 1e-9):.2f}x")


BARE_PLAY = """
import sys, threading, vlc
instance = vlc.Instance(["--aout=alsa", "--alsa-audio-device=pulse", "--no-volume-save"])
player = instance.media_player_new()
player.set_media(instance.media_new(sys.argv[1]))
player.audio_set_volume(int(sys.argv[2]))
ended = threading.Event()
player.event_manager().event_attach(vlc.EventType.MediaPlayerEndReached, lambda _e: ended.set())
player.play()
ended.wait(float(sys.argv[3]))
player.stop()
"""


def _loudnorm(src: Path, dst: Path, target_lufs: float) -> None:
    """EBU R128 normalization offline, ffmpeg's two-pass loudnorm (linear: one gain for the whole file)."""
    import json
    import subprocess

    spec = f"loudnorm=I={target_lufs}:TP=-1:LRA=20"
    probe = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(src), "-af", f"{spec}:print_format=json",
                            "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    m = json.loads(probe[probe.rindex("{"):])
    measured = (f"measured_I={m['input_i']}:measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:"
                f"measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-af", f"{spec}:{measured}", "-ar", "48000",
                    str(dst)], check=True)


def offline_baseline(tmp: Path, sink, masters: dict, lengths: dict) -> np.ndarray:
    """Adjacent 1 s level changes of the same tracks normalized offline and played at one fixed gain.

    What a player without fades or live normalization gets at best: each phase's tracks, cut
    to share its length, loudnorm'd to the player's target and joined end to end (hard cuts),
    played by a bare libVLC at the session's playing level. The first and last seconds (the
    stream starting and ending) are left out, as the session's asked-for fades are.
    """
    import subprocess

    from player.audio.gain import db_to_vlc_percent
    from player.config import load_config
    from tests.support.audio_sink import band_envelope

    target = load_config({}).loudness.target_lufs
    parts = []
    for phase, levels in masters.items():
        for n in range(len(levels)):
            src = tmp / f"steady/{phase}-{n}.flac"
            normalized = tmp / f"steady/{phase}-{n}.norm.wav"
            _loudnorm(src, normalized, target)
            parts.append((normalized, lengths[phase] / len(levels)))
    listing = tmp / "baseline.txt"
    listing.write_text("".join(f"file '{p}'\nduration {d}\noutpoint {d}\n" for p, d in parts))
    joined = tmp / "baseline.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), str(joined)],
                   check=True)
    seconds = sum(d for _, d in parts)
    recording = sink.record()
    try:
        subprocess.run([sys.executable, "-c", BARE_PLAY, str(joined), str(db_to_vlc_percent(-14.0, 0.0)),
                        str(seconds + 30)], check=True, timeout=seconds + 60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        samples = recording.stop()
    levels = band_envelope(samples, 1000.0).rms_db
    audible = np.nonzero(levels > -75)[0]
    inner = levels[audible[0] + 2: audible[-1] - 2]
    return np.abs(np.diff(inner))


def two_broken(tmp: Path, sink) -> str:
    from tests.audio.signals import pink_noise
    from tests.support.audio_sink import envelope

    music = tmp / "broken-music"
    music.mkdir()
    for i in range(1, 6):
        pink_noise(music / f"0{i}.flac", 6.0, -21, seed=i)
    playlist = tmp / "broken.yaml"
    tracks = ", ".join(f"broken-music/0{i}.flac" for i in range(1, 6))
    playlist.write_text("name: Broken\ncrossfade: 2s\nphases:\n  - name: onset\n    duration: 40s\n    fade_in: 1s\n"
                        f"    on_short: silence\n    tracks: [{tracks}]\n")

    def break_two() -> None:
        threading.Event().wait(3.0)
        (music / "03.flac").write_bytes(os.urandom(300_000))
        (music / "04.flac").unlink()

    samples = session(tmp, sink, playlist, 26.0, {"start_db": -16, "default_db": -16}, during=break_two)
    env = envelope(samples, 20.0)
    on = env.rms_db > -60
    idx = np.nonzero(on)[0]
    run = longest = 0
    for sounding in on[idx[0]:idx[-1] + 1]:
        run = 0 if sounding else run + 1
        longest = max(longest, run)
    return f"two broken files in a row: longest silence once the music began {longest * 0.02:.2f} s (goal <= 2 s)"


def crossfade_dip(tmp: Path, sink) -> str:
    from tests.audio.signals import pink_noise
    from tests.support.audio_sink import band_envelope

    for name, seed in (("x", 51), ("y", 52)):
        pink_noise(tmp / f"{name}.flac", 24.0, -21, seed=seed)
    playlist = tmp / "dip.yaml"
    playlist.write_text("name: Dip\ncrossfade: 8s\nphases:\n  - name: onset\n    duration: 60s\n    fade_in: 1s\n"
                        "    on_short: silence\n    tracks: [x.flac, y.flac]\n")
    samples = session(tmp, sink, playlist, 40.0, {"start_db": -16, "default_db": -16})
    levels = band_envelope(samples, 500.0).rms_db
    audible = np.nonzero(levels > -70)[0]
    middle = levels[audible[0] + 6: audible[-1] - 20]        # after the start fade, before y's final fade
    steady = float(np.median(middle))
    return (f"8 s crossfade of two tracks at the same loudness: dip {steady - float(np.min(middle)):.2f} dB, "
            f"bump {float(np.max(middle)) - steady:.2f} dB below/above the steady level "
            f"(goal <= 0.5 dB; a linear crossfade dips 3 dB)")


# RMS -> -36.7/-16.7/-27.1 LUFS; one noise spectrum (seed 31): noises of different seeds differ by up to 0.6 dB
# between their loudness and the band level measured here, which would hide the player's part
QUIET_MASTERS = (("quiet", -37.8, 31), ("loud", -17.8, 31), ("middle", -28.2, 31))


def _spread_and_step(levels: np.ndarray) -> tuple[float, float]:
    return float(np.max(levels) - np.min(levels)), float(np.max(np.abs(np.diff(levels))))


def _loudnorm(src: Path, dst: Path, target: float = -18.0) -> Path:
    """ffmpeg loudnorm in two passes (measure, then a linear gain): the offline reference."""
    import json
    import subprocess

    first = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(src), "-af",
                            f"loudnorm=I={target}:TP=-1:LRA=20:print_format=json", "-f", "null", "-"],
                           capture_output=True, text=True, check=True).stderr
    m = json.loads(first[first.rindex("{"):])
    subprocess.run(["ffmpeg", "-hide_banner", "-y", "-loglevel", "error", "-i", str(src), "-af",
                    f"loudnorm=I={target}:TP=-1:LRA=20:linear=true:measured_I={m['input_i']}:"
                    f"measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:"
                    f"offset={m['target_offset']}", "-ar", "48000", str(dst)], check=True)
    return dst


def _joined(files: list[Path], dst: Path, crossfade_s: float) -> Path:
    """The files one after another, equal-power crossfades between them (ffmpeg acrossfade qsin)."""
    import subprocess

    inputs = [arg for f in files for arg in ("-i", str(f))]
    chain, last = [], "[0:a]"
    for i in range(1, len(files)):
        out = f"[x{i}]"
        chain.append(f"{last}[{i}:a]acrossfade=d={crossfade_s}:c1=qsin:c2=qsin{out}")
        last = out
    subprocess.run(["ffmpeg", "-hide_banner", "-y", "-loglevel", "error", *inputs, "-filter_complex", ";".join(chain),
                    "-map", last, str(dst)], check=True)
    return dst


def quiet_masters(tmp: Path, sink) -> str:
    from bench.fade_accuracy import _bare_play_at
    from tests.audio.signals import pink_noise
    from tests.support.audio_sink import band_envelope

    for name, rms, seed in QUIET_MASTERS:
        pink_noise(tmp / f"{name}.flac", 16.0, rms, seed=seed)
    playlist = tmp / "quiet.yaml"
    playlist.write_text("name: Quiet masters\ncrossfade: 3s\nphases:\n  - name: onset\n    duration: 120s\n"
                        "    fade_in: 2s\n    tracks: [quiet.flac, loud.flac, middle.flac]\n")
    samples = session(tmp, sink, playlist, 68.0, {"rise_s": 10})
    levels = band_envelope(samples, 1000.0).rms_db
    audible = np.nonzero(levels > -80)[0]
    ours = _spread_and_step(levels[audible[0] + 14: audible[-1]])

    normalized = [_loudnorm(tmp / f"{name}.flac", tmp / f"{name}-norm.wav") for name, _, _ in QUIET_MASTERS]
    order = [normalized[i] for i in (0, 1, 2, 0)]
    recording = sink.record()
    _bare_play_at(_joined(order, tmp / "baseline.wav", 3.0), 56.0, -12.0)
    levels = band_envelope(recording.stop(), 1000.0).rms_db
    audible = np.nonzero(levels > -80)[0]
    base = _spread_and_step(levels[audible[0] + 2: audible[-1]])
    return (f"quiet masters (-36.7/-16.7/-27.1 LUFS, shipped levels, 3 s crossfades): spread of the 1 s levels "
            f"after the start fade {ours[0]:.2f} dB, largest change between adjacent seconds {ours[1]:.2f} dB "
            f"(goal <= 1.0 / 1.5 dB); baseline, loudnorm offline + fixed -12 dB in bare libVLC: "
            f"{base[0]:.2f} / {base[1]:.2f} dB")


def main() -> int:
    from tests.support.audio_sink import AudioSink

    tmp = Path(tempfile.mkdtemp(prefix="bench-level-"))
    sink = AudioSink()
    os.environ["PULSE_SERVER"] = sink.start()
    try:
        for part in [globals()[name] for name in sys.argv[1:]] or (crossfade_dip, two_broken, demo, quiet_masters):
            print(part(tmp, sink), flush=True)
    finally:
        sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
