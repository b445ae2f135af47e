"""Measure the level at the ear: play pink noise at a stated level, take the SPL meter's reading.

Put the headphones on an ear coupler or hold the SPL meter's microphone (A-weighting, slow)
against the inside of one earcup, never on a person's ears. Stop the player first (sudo
systemctl stop session-player): the device may not take a third stream. The noise is as loud
as music at the loudness target (it is normalized like any track) and plays at --level dB
(default -30; never above the cap in force), fading in over 5 s from the floor, then held for
--seconds while you read the meter, then fading out. Type the reading when asked (or pass
--reading DBA for a reading already taken at --level: nothing is played then).

It prints the line for the config, volume.calibration_dba_at_0db: X (the dBA that music at the
loudness target gives at 0 dB); --write puts it into the config file. With it, levels can be
shown in dBA and the cap is also volume.max_dba at the ear (85 dBA at most).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
from pathlib import Path

from player.audio.calibration import NoisePlan, play_noise, write_pink_noise
from player.audio.exposure import calibration_from_reading
from player.clock import SystemClock
from player.config import DEFAULT_CONFIG_PATH, Config, config_from_mapping, load_config
from player.core.cap import cap_db, db_to_dba, effective_cap_db
from player.errors import AudioFailed, ConfigInvalid
from player.fsutil import atomic_write_text
from player.yamlsafe import load_yaml_text

NAME = "calibrate"
HELP = "play pink noise at a stated level and turn an SPL meter's reading into the calibration"
READING_RANGE_DBA = (30.0, 140.0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", type=float, default=-30.0, metavar="DB",
                        help="level of the noise in dB (default -30; never above the cap in force)")
    parser.add_argument("--seconds", type=float, default=30.0, metavar="N", help="hold the level N s (default 30)")
    parser.add_argument("--reading", type=_reading, metavar="DBA",
                        help="the meter's reading taken at --level: play nothing, just compute")
    parser.add_argument("--write", action="store_true", help="write the calibration into the config file")


def _reading(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of dBA, got {text!r}") from None
    lo, hi = READING_RANGE_DBA
    if not lo <= value <= hi:
        raise argparse.ArgumentTypeError(f"a reading must be between {lo:g} and {hi:g} dBA, got {value:g}")
    return value


def stated_level_db(requested_db: float, config: Config) -> float:
    """The level the noise plays at: as asked, but never above the cap in force."""
    return min(requested_db, cap_db(config.volume))


def set_calibration(text: str, value: float) -> str:
    """The config text with ``volume.calibration_dba_at_0db`` set to `value`, keeping comments and order."""
    line = f"calibration_dba_at_0db: {value:.1f}"
    existing = re.compile(r"^(\s+)calibration_dba_at_0db\s*:.*$", re.M)
    if existing.search(text):
        return existing.sub(lambda m: m.group(1) + line, text, count=1)
    section = re.search(r"^volume:[ \t]*(#.*)?\n((?:[ \t]+\S.*\n|[ \t]*\n)*)", text + "\n", re.M)
    if section is None:
        return (text.rstrip("\n") + "\n" if text.strip() else "") + f"volume:\n  {line}\n"
    body = section.group(2)
    indent = re.match(r"[ \t]+", body).group(0) if body.strip() else "  "
    insert_at = section.start(2)
    return text[:insert_at] + f"{indent}{line}\n" + text[insert_at:]


def _write_config(path: Path, value: float) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = set_calibration(text, value)
    config_from_mapping(load_yaml_text(updated), str(path))  # refuse to write a config the player would refuse
    atomic_write_text(path, updated, mode=path.stat().st_mode & 0o777 if path.exists() else 0o644)


def _ask_reading() -> float:
    while True:
        try:
            answer = input("SPL meter reading in dBA (empty to cancel): ").strip()
        except EOFError:
            answer = ""
        if not answer:
            raise AudioFailed("no reading entered: nothing calibrated")
        try:
            return _reading(answer.replace(",", "."))
        except argparse.ArgumentTypeError as exc:
            print(f"  {exc}")


def _play(config: Config, level_db: float, hold_s: float) -> None:
    from player.audio.loudness import LoudnessLookup
    from player.audio.vlc import VlcOutput

    with tempfile.TemporaryDirectory(prefix="session-player-calibrate-") as tmp:
        noise = write_pink_noise(Path(tmp) / "pink-noise.wav", hold_s + 8.0)
        normalization = LoudnessLookup(config.loudness).gain_db(noise)
        v = config.volume
        cap = cap_db(v)
        plan = NoisePlan(level_db, normalization, cap, v.floor_db, hold_s)
        print(f"pink noise normalized to {config.loudness.target_lufs:g} LUFS (gain {normalization:+.1f} dB), at "
              f"level {level_db:g} dB on {config.audio.device} (cap {cap:g} dB): 5 s fade in, "
              f"{hold_s:g} s hold, 1 s fade out")
        output = VlcOutput(config.audio, max_gain_db=cap)
        stop = threading.Event()

        def second(t: float) -> None:
            if plan.fade_in_s <= t < plan.fade_in_s + plan.hold_s:
                print(f"\r  read the meter now: {plan.fade_in_s + plan.hold_s - t:4.0f} s left ", end="", flush=True)

        try:
            play_noise(output, noise, plan, clock=SystemClock(), wait=stop.wait, on_second=second)
        finally:
            output.close()
            print()


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    level = stated_level_db(args.level, config)
    if level < args.level:
        print(f"--level {args.level:g} dB is above the cap in force: using {level:g} dB")
    reading = args.reading
    if reading is None:
        if not 1 <= args.seconds <= 600:
            raise AudioFailed("--seconds must be between 1 and 600")
        print("Headphones on the coupler or the meter's microphone in one earcup (A-weighted, slow), "
              "not on anyone's ears.")
        if sys.stdin.isatty():
            input("Press Enter to start the noise (Ctrl-C cancels)... ")
        _play(config, level, args.seconds)
        reading = _ask_reading()
    calibration = calibration_from_reading(reading, level)
    v = config.volume
    cap = effective_cap_db(v.max_db, v.max_dba, calibration)
    print(f"reading {reading:g} dBA at {level:g} dB: music at the loudness target gives {calibration:.1f} dBA at 0 dB")
    print(f"volume.calibration_dba_at_0db: {calibration:.1f}")
    print(f"with it: cap {cap:g} dB = {db_to_dba(cap, calibration):.1f} dBA (max_dba {v.max_dba:g}); "
          f"start {v.start_db:g} dB = {db_to_dba(v.start_db, calibration):.1f} dBA; "
          f"default {v.default_db:g} dB = {db_to_dba(v.default_db, calibration):.1f} dBA")
    for key in ("start_db", "default_db"):
        if getattr(v, key) > cap:
            print(f"note: volume.{key} {getattr(v, key):g} dB is above that cap: set it to {cap:g} or lower too")
    if args.write:
        path = Path(args.config or DEFAULT_CONFIG_PATH)
        try:
            _write_config(path, round(calibration, 1))
        except ConfigInvalid as exc:
            raise ConfigInvalid(f"not written, the config would be invalid: {exc}", exc.errors) from None
        except OSError as exc:
            raise AudioFailed(f"cannot write {path}: {exc.strerror} (run with sudo)") from None
        print(f"written to {path}; restart the player: sudo systemctl restart session-player")
    return 0
