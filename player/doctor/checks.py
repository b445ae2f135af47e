"""The doctor's checks: one small function each, (context, system) -> CheckResult, in `CHECKS` order.

Each names what it found and, when it fails, the command that fixes it. They ask the machine
only through `System` (faked in tests) and read the data folder's files directly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from player.audio.loudness import read_tags
from player.config import Config
from player.doctor.model import CheckResult, failed, passed
from player.doctor.system import System
from player.doctor.unit import working_directory, writable_paths
from player.errors import PlayerError

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".flac", ".mp3", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".aac", ".aif", ".aiff"})
SPARE_BYTES = 1024**3  # room for an import (a library is staged beside the current one), above usb.reserve_bytes
GROUP = "session-player"


@dataclass(frozen=True)
class DoctorContext:
    """What the checks compare the machine with.

    Args:
        config: the config in force (the defaults when the file is invalid: see `config_error`).
        config_path: the file read, for messages.
        config_error: why the file is invalid, or None.
        unit_path: the installed session-player.service, or None (a development machine).
        unit: its settings (`player.doctor.unit.parse_unit`).
    """

    config: Config
    config_path: str
    config_error: str | None = None
    unit_path: Path | None = None
    unit: dict[str, list[str]] = field(default_factory=dict)

    @property
    def service_cwd(self) -> Path:
        """Where the service runs: the unit's WorkingDirectory (``/`` when it sets none), else the data dir."""
        return working_directory(self.unit, Path("/") if self.unit_path else self.config.data_dir)


Check = Callable[[DoctorContext, System], CheckResult]


def check_config(ctx: DoctorContext, system: System) -> CheckResult:
    if ctx.config_error:
        return failed("config", ctx.config_error, "correct the lines named above; 'session-player config' checks "
                      "again; the other checks used the defaults")
    if ctx.config.source == "<defaults>":
        return passed("config", f"no config file at {ctx.config_path}: all defaults (room 'Room 1')",
                      "reinstalling the package puts the example config back")
    return passed("config", f"{ctx.config_path} is valid (room {ctx.config.room!r})")


def check_audio_device(ctx: DoctorContext, system: System) -> CheckResult:
    audio = ctx.config.audio
    if audio.output != "vlc":
        return failed("audio-device", f"audio.output is {audio.output!r}: simulated, nothing plays",
                      "set audio.output: vlc")
    probe = system.two_streams(audio.device)
    who = f"as {system.identity}"
    if probe.get("opened", 0) >= 2:
        return passed("audio-device", f"{audio.device} took two streams at once ({who}); crossfades need two")
    good = [alt["device"] for alt in probe.get("alternatives", []) if alt.get("ok")]
    detail = (f"{audio.device}: {probe.get('error') or 'did not open'} ({who}); every crossfade plays two "
              "streams at once on this device")
    if good:
        return failed("audio-device", detail, f"set audio.device to {good[0]} (it took two streams here"
                      + (f"; so did {', '.join(good[1:])})" if good[1:] else ")"))
    return failed("audio-device", detail, "no device here took two streams: check the DAC or HAT is connected "
                  "and 'session-player devices' lists it; use its default:CARD=<name> or dmix:CARD=<name>, "
                  "not hw:")


def check_pin_factory(ctx: DoctorContext, system: System) -> CheckResult:
    hw = ctx.config.hardware
    if not hw.enabled:
        return passed("pin-factory", "hardware.enabled is false: no bedside button or LED")
    result = system.pin_factory(hw.pin_factory, ctx.service_cwd)
    where = f"as {system.identity} in {result.get('cwd') or ctx.service_cwd}"
    if not result.get("ok"):
        error = result.get("error") or "failed"
        problem = result.get("problem")
        if problem == "cwd-missing":
            fix = f"sudo install -d -o {system.service_user} -g {system.service_user} -m 0750 {ctx.service_cwd}"
        elif problem == "cwd-readonly":
            fix = (f"run the service in its state directory: WorkingDirectory={ctx.config.data_dir} in "
                   "session-player.service (the package's unit has it; 'sudo systemctl edit session-player' "
                   "for a drop-in)")
        else:
            fix = ("on a Pi: sudo apt install python3-lgpio, and the service user in the gpio group; without "
                   "a bedside button: hardware.enabled: false")
        return failed("pin-factory", f"{hw.pin_factory}: {error} ({where})", fix)
    if hw.pin_factory == "mock":
        return failed("pin-factory", f"the working directory is writable and the mock factory loads ({where}), "
                      "but mock pins are simulated: no bedside button or LED works",
                      "set hardware.pin_factory: lgpio on a Pi, or hardware.enabled: false without a button")
    return passed("pin-factory", f"the {hw.pin_factory} pin factory loads ({where})")


def check_service_user(ctx: DoctorContext, system: System) -> CheckResult:
    user = system.service_user
    if not system.user_exists(user):
        return failed("service-user", f"there is no user {user}",
                      "install the package (it creates the user): sudo apt install ./session-player_*_all.deb")
    groups = system.groups_of(user)
    needed = ["audio"] + (["gpio"] if ctx.config.hardware.enabled and system.group_exists("gpio") else [])
    missing = [g for g in needed if g not in groups]
    if missing:
        return failed("service-user", f"{user} is in {', '.join(sorted(groups))}; not in {', '.join(missing)}",
                      "; ".join(f"sudo adduser {user} {g}" for g in missing)
                      + "; then sudo systemctl restart session-player")
    return passed("service-user", f"{user} is in {', '.join(sorted(groups))}")


def check_admin_group(ctx: DoctorContext, system: System) -> CheckResult:
    admin = system.invoking_admin()
    if admin is None:
        return passed("admin-group", "run by root (not through sudo) or by the service user: no admin to check")
    if not system.group_exists(GROUP):
        return failed("admin-group", f"there is no group {GROUP}",
                      "install the package (it creates the group): sudo apt install ./session-player_*_all.deb")
    if GROUP in system.groups_of(admin):
        return passed("admin-group", f"{admin} is in the {GROUP} group: status and the controls work for them "
                      "(from their next login, if just added)")
    return failed("admin-group", f"{admin} is not in the {GROUP} group: 'session-player status' and the controls "
                  "are refused them (the control socket is mode 0660)",
                  f"sudo usermod -a -G {GROUP} {admin}, then log out and in again")


def check_data_dir(ctx: DoctorContext, system: System) -> CheckResult:
    data, user = ctx.config.data_dir, system.service_user
    if not data.is_dir():
        return failed("data-dir", f"{data} does not exist",
                      f"sudo install -d -o {user} -g {user} -m 0750 {data}")
    owner = system.owner(data)
    if owner != user:
        return failed("data-dir", f"{data} belongs to {owner}, not {user}: the service cannot write its records",
                      f"sudo chown -R {user}:{user} {data}")
    if ctx.unit_path is None:
        return passed("data-dir", f"{data} belongs to {user} (no installed unit to compare with)")
    writable = writable_paths(ctx.unit)
    dropin = (f"sudo systemctl edit session-player, and add under [Service]: ReadWritePaths={data} "
              f"and WorkingDirectory={data}")
    if not any(data == p or p in data.parents for p in writable):
        shown = ", ".join(map(str, writable)) or "nothing"
        return failed("data-dir", f"{ctx.unit_path} lets the service write to {shown}, not to data_dir {data}",
                      dropin)
    cwd = ctx.service_cwd
    if not any(cwd == p or p in cwd.parents for p in writable):
        return failed("data-dir", f"the service runs in {cwd}, which it cannot write to (ProtectSystem=strict): "
                      "lgpio's notification pipe fails there and the button and LED are dead", dropin)
    return passed("data-dir", f"{data} belongs to {user}; the unit writes there and runs in {cwd}")


def check_ffmpeg(ctx: DoctorContext, system: System) -> CheckResult:
    ffmpeg = system.which("ffmpeg")
    if ffmpeg is None:
        return failed("ffmpeg", "ffmpeg is not installed: tracks without ReplayGain tags cannot be measured and "
                      "play at a cautious gain, about 10 dB down", "sudo apt install ffmpeg")
    if "ebur128" not in system.ffmpeg_filters(ffmpeg):
        return failed("ffmpeg", f"{ffmpeg} has no ebur128 filter (loudness measurement)",
                      "install the distribution's ffmpeg: sudo apt install ffmpeg")
    return passed("ffmpeg", f"{ffmpeg} with the ebur128 loudness filter")


def _cached_names(cache: Path) -> tuple[set[str], str | None]:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        return {str(e.get("name")) for e in data.get("files", {}).values() if isinstance(e, dict)}, None
    except FileNotFoundError:
        return set(), None
    except (OSError, ValueError, AttributeError) as exc:
        return set(), f"{cache} is unreadable ({exc}); it will be rebuilt"


def check_loudness(ctx: DoctorContext, system: System) -> CheckResult:
    library = ctx.config.data_dir / "library" / "current"
    if not library.is_dir():
        return passed("loudness", f"no library imported yet ({library}): nothing to measure")
    tracks = sorted(p for p in library.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    cache = ctx.config.data_dir / "loudness-cache.json"
    names, problem = _cached_names(cache)
    tagged = [t for t in tracks if read_tags(t) is not None]
    missing = [t for t in tracks if t not in tagged and t.name not in names]
    counts = (f"{len(tracks)} tracks in the library: {len(tagged)} with ReplayGain/R128 tags, "
              f"{len(tracks) - len(tagged) - len(missing)} measured in {cache.name} (matched by file name)")
    if problem:
        counts += f"; {problem}"
    if not missing:
        return passed("loudness", counts)
    example = missing[0].relative_to(library)
    return failed("loudness", f"{counts}, {len(missing)} not measured yet (e.g. {example}): the player measures "
                  "each before it is heard, and one needed sooner comes in on a provisional gain",
                  f"measure them now: sudo -u {system.service_user} find {library}/ -type f \\( -iname '*.flac' "
                  "-o -iname '*.mp3' -o -iname '*.ogg' -o -iname '*.opus' -o -iname '*.wav' -o -iname '*.m4a' \\) "
                  "-exec session-player analyze {} +")


VOICE_EXTRA_FIX = ("install the voice extra (onnxruntime, a pip wheel; docs/technician.md#the-voice-scan): "
                   "sudo pip install --break-system-packages 'onnxruntime>=1.16'")


def check_voice_scan(ctx: DoctorContext, system: System) -> CheckResult:
    """The optional voice scan: present or absent; absent fails only where voices are errors."""
    mode = ctx.config.library.voice_scan
    if mode == "off":
        return passed("voice-scan", "off (library.voice_scan: off): the music is not listened to for voices")
    found = system.voice_scan()
    if found["onnxruntime"] is None:
        detail = ("absent: onnxruntime (the optional voice extra) is not installed, so every file is "
                  "'could not check for a spoken voice'")
        if mode == "error":
            return failed("voice-scan", detail + "; with library.voice_scan: error every playlist is refused",
                          VOICE_EXTRA_FIX)
        return passed("voice-scan", detail, VOICE_EXTRA_FIX)
    if found["error"]:
        return failed("voice-scan", f"onnxruntime {found['onnxruntime']} is installed but {found['error']}",
                      "reinstall the package (the model ships in player/data/silero_vad.onnx)")
    return passed("voice-scan", f"present: onnxruntime {found['onnxruntime']}, the Silero VAD model loads "
                  f"(library.voice_scan: {mode})")


def check_default_playlist(ctx: DoctorContext, system: System) -> CheckResult:
    from player.playlist.validate import load_playlist

    playlist = ctx.config.session.default_playlist
    library = ctx.config.data_dir / "library" / "current"
    if playlist is None:
        return failed("default-playlist", "session.default_playlist is not set: a short press on the bedside button "
                      "with no session running is refused", f"set session.default_playlist to a playlist in {library}/")
    if not playlist.is_file():
        return failed("default-playlist", f"{playlist} does not exist: the bedside button cannot start a session",
                      f"import the clinician's stick, then point session.default_playlist at a playlist in {library}/ "
                      "('session-player library list')")
    try:
        loaded = load_playlist(playlist, probe=False)
    except PlayerError as exc:
        return failed("default-playlist", f"{playlist} is invalid: {str(exc).splitlines()[0]}",
                      f"session-player check {playlist}")
    return passed("default-playlist", f"{playlist}: {loaded.name!r}, {len(loaded.phases)} phases")


def check_clock(ctx: DoctorContext, system: System) -> CheckResult:
    synchronized, how = system.clock_synchronized()
    if synchronized:
        return passed("clock", f"the clock is synchronized ({how})")
    state = "is not synchronized" if synchronized is False else "could not be checked"
    return failed("clock", f"the clock {state} ({how}): a Pi has no battery clock, so records may carry a wrong "
                  "date and time (their durations stay right)",
                  "connect the network and check 'timedatectl' and 'systemctl status systemd-timesyncd'")


def check_disk_space(ctx: DoctorContext, system: System) -> CheckResult:
    free, total = system.disk_usage(ctx.config.data_dir)
    need = ctx.config.usb.reserve_bytes + SPARE_BYTES
    detail = f"{free / 1e9:.1f} GB free of {total / 1e9:.1f} GB at {ctx.config.data_dir}"
    if free < need:
        return failed("disk-space", f"{detail}: an import needs room beside the current library plus the reserve "
                      f"(usb.reserve_bytes) ({need / 1e9:.1f} GB in all)",
                      "export and remove old session reports ('session-player export'), or use a larger SD card")
    return passed("disk-space", detail)


def check_web(ctx: DoctorContext, system: System) -> CheckResult:
    web = ctx.config.web
    if not web.enabled:
        return passed("web", "web.enabled is false: no staff page")
    token = ctx.config.token_path
    owner = system.owner(token) if token.exists() else None
    if owner is not None and owner != system.service_user:
        return failed("web", f"{token} belongs to {owner}: the service cannot read it and the staff page will not "
                      "start", f"sudo chown {system.service_user}:{system.service_user} {token} (and run "
                      f"web-token as the service: sudo -u {system.service_user} session-player web-token)")
    if web.bind in ("0.0.0.0", "::", ""):
        return passed("web", f"the staff page serves every network this Pi is on, port {web.port} (plain HTTP, "
                      "token required)", "keep the player on the clinic's own network segment; to serve one "
                      "network only, set web.bind to the Pi's address on it")
    return passed("web", f"the staff page serves {web.bind}:{web.port} only"
                  + (" (this machine; web.bind: 0.0.0.0 serves the clinic LAN)" if web.bind.startswith("127.") else ""))


CHECKS: tuple[Check, ...] = (check_config, check_audio_device, check_pin_factory, check_service_user,
                             check_admin_group, check_data_dir, check_ffmpeg, check_loudness,
                             check_voice_scan, check_default_playlist, check_clock, check_disk_space, check_web)


def run_checks(ctx: DoctorContext, system: System, checks: tuple[Check, ...] = CHECKS) -> list[CheckResult]:
    """Every check in order; one that raises is reported as failed, never stops the others."""
    results = []
    for check in checks:
        try:
            results.append(check(ctx, system))
        except Exception as exc:  # a bug in a check must not hide the other checks' answers
            log.debug("check %s raised", check.__name__, exc_info=True)
            name = check.__name__.removeprefix("check_").replace("_", "-")
            results.append(failed(name, f"the check itself failed: {type(exc).__name__}: {exc}",
                                  "report this; run 'session-player doctor --debug' for the traceback"))
    return results
