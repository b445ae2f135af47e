"""The daemon's configuration: a YAML file checked against a schema, every error at once.

`/etc/session-player/config.yaml` by default; `--config FILE` overrides it; a dict in the
file's shape is accepted too (tests, `Daemon(config={...})`). A missing default file means
"all defaults". Errors read ``section.key: message`` with "did you mean" for typos, as in
Mopidy's config schemas. Each key is declared once, as ``Annotated[type, bounds, "doc"]``
with its default, and checked by player/schema.py's one generic parser.

The config holds what the file says. Rules that use its values live where they are used:
the cap in force (``volume.max_db`` lowered by a calibrated ``volume.max_dba``) is
player/core/cap.py's, and the observation kinds are checked by player/core/observation_kinds.py;
the config calls both only to refuse a file they could not work with.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Literal

from player.core.bluetooth import alsa_pcm, parse_address
from player.core.cap import HARD_CEILING_DBA, calibrated_cap_applies, cap_db
from player.core.observation_kinds import ObservationKind, parse_kinds
from player.errors import ConfigInvalid
from player.schema import Items, Parse, Range, Seconds, Text, keys_of, parse_path, parse_value, sections_of
from player.suggest import unknown_key_message
from player.yamlsafe import YamlRefused, load_yaml_file

DEFAULT_CONFIG_PATH = Path("/etc/session-player/config.yaml")
DEFAULT_DATA_DIR = Path("/var/lib/session-player")
SERVICE_RUNTIME_DIR = Path("/run/session-player")   # the unit's RuntimeDirectory
SERVICE_USER = "session-player"    # the units' User= and Group=
#: What a local user outside the group is told, instead of a traceback (the socket, the config).
GROUP_HINT = "add your user to the session-player group (sudo adduser $USER session-player, then log in again)"
#: In the data dir: whether a session is active (or was cut short and will resume), written by
#: the engine for the USB import, which reads it when no daemon answers on the control socket.
SESSION_ACTIVE_FILE = "session-active.json"

_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2,
               "mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "tb": 1000**4, "tib": 1024**4}


def parse_size(value: object) -> int:
    """Bytes from ``1024``, ``"2GiB"``, ``"500 MB"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
        if m and m.group(2).lower() in _SIZE_UNITS:
            return int(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()])
    raise ValueError(f"expected a size such as 2GiB or 500MB, got {value!r}")


Pin = Annotated[int, Range(0, 27)]   # a BCM pin number
Size = Annotated[int, Parse(parse_size)]


def _pin_pair(value: object) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"expected two BCM pin numbers such as [5, 6], got {value!r}")
    return (parse_value(Pin, value[0]), parse_value(Pin, value[1]))  # type: ignore[return-value]


@dataclass(frozen=True)
class BluetoothConfig:
    """audio.bluetooth: the one headset this chair keeps connected (docs/technician.md#bluetooth-headphones)."""

    address: Annotated[str, Parse(parse_address), "the headset's address, from 'session-player bluetooth scan'"]
    reconnect: Annotated[bool, "connect again whenever the headset is in reach"] = True
    volume_percent: Annotated[int, Range(1, 100), "BlueALSA's volume, held there (the player's level is the cap)"
                              ] = 100
    retry_max_s: Annotated[float, Seconds(1, 600), "longest wait between connection attempts"] = 60.0


def _bluetooth(value: object) -> BluetoothConfig:
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping such as {address: AA:BB:CC:DD:EE:FF}")
    keys = keys_of(BluetoothConfig)
    unknown = set(value) - set(keys)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(keys)}")
    if "address" not in value:
        raise ValueError("address is required (the headset's, from 'session-player bluetooth scan')")
    values = {}
    for key, raw in value.items():
        try:
            values[key] = parse_value(keys[key].kind, raw)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
    return BluetoothConfig(**values)


# --- sections ------------------------------------------------------------------------

@dataclass(frozen=True)
class AudioConfig:
    device: Annotated[str, "ALSA device passed to libVLC (--alsa-audio-device)"] = "default"
    output: Annotated[Literal["vlc", "fake"], "vlc = libVLC (real); fake = simulated, for tests"] = "vlc"
    stall_timeout_s: Annotated[float, Seconds(0.5, 30), "no playback progress for this long = stalled, skip"] = 1.5
    latency_s: Annotated[float, Seconds(0, 5),
                         "how long the output takes to play what libVLC hands it (PulseAudio's ALSA plugin: "
                         "1.3 s measured); fades end this long before a track's end, and a faded deck plays "
                         "on muted this long before it is stopped, since stopping drops what is buffered"] = 1.5
    device_retry_max_s: Annotated[float, Seconds(1, 600), "longest wait between audio-device retries"] = 30.0
    bluetooth: Annotated[
        BluetoothConfig | None, Parse(_bluetooth),
        "{address, reconnect: true, volume_percent: 100, retry_max_s: 60}: Bluetooth headphones through BlueALSA"
    ] = None


@dataclass(frozen=True)
class VolumeConfig:
    max_db: Annotated[float, Range(-60, 0),
                      "hard cap: the loudest the patient hears, dB relative to the loudness target"] = -6.0
    start_db: Annotated[float, Range(-60, 0), "level every session and restart fades in to"] = -20.0
    default_db: Annotated[float, Range(-60, 0), "playing level: reached after the start fade, slowly"] = -12.0
    rise_s: Annotated[float, Seconds(10, 1800),
                      "after the start fade, the level moves from start_db to default_db over this long"] = 60.0
    fade_in_s: Annotated[float, Seconds(0, 600), "fade from silence to start_db"] = 45.0
    step_db: Annotated[float, Range(0.5, 12), "volume up/down step"] = 3.0
    floor_db: Annotated[float, Range(-90, -30), "where fades from silence begin"] = -60.0
    calibration_dba_at_0db: Annotated[
        float | None, Range(40, 150),
        "dBA at the ear of music at the loudness target played at 0 dB ('session-player calibrate')"] = None
    max_dba: Annotated[float, Range(40, HARD_CEILING_DBA),
                       "when calibrated, the cap is also this level at the ear (85 dBA is the hard ceiling)"
                       ] = HARD_CEILING_DBA


@dataclass(frozen=True)
class LoudnessConfig:
    target_lufs: Annotated[float, Range(-40, -5), "normalization target (EBU R128 / ReplayGain 2)"] = -18.0
    max_true_peak_db: Annotated[float, Range(-12, 0), "true peak never exceeds this after gain"] = -1.0
    max_boost_db: Annotated[float, Range(0, 18),
                            "most a quiet master is amplified above VLC 100% (its true peak bounds it too)"] = 18.0


@dataclass(frozen=True)
class SessionConfig:
    default_playlist: Annotated[Path | None, "playlist the bedside button starts"] = None
    resume_policy: Annotated[Literal["continue", "pause"],
                             "after a power cut: continue the clock, or pause and wait for staff"] = "continue"
    socket: Annotated[Path | None, "control socket (default <data_dir>/control.sock)"] = None
    checkpoint_grace_s: Annotated[float, Seconds(10, 3600),
                                  "a checkpoint not acknowledged this long after it is due is missed"] = 300.0
    observation_kinds: Annotated[dict[str, ObservationKind] | None, Parse(parse_kinds),
                                 "extra observation kinds, e.g. {etco2: {unit: mmHg, min: 10, max: 80}}"] = None
    checklist: Annotated[tuple[str, ...], Items(30),
                         "pre-session checklist shown before Start, e.g. [headphones fitted, eye mask]"] = ()
    require_checklist: Annotated[bool, "refuse a start until every checklist item is ticked"] = False


@dataclass(frozen=True)
class HardwareConfig:
    enabled: Annotated[bool, "use the bedside button/LED"] = True
    pin_factory: Annotated[Literal["lgpio", "rpigpio", "pigpio", "native", "mock"],
                           "gpiozero pin factory: lgpio on a Pi, mock for tests/demo"] = "lgpio"
    button_pin: Annotated[Pin, "BCM pin of the staff button (to ground, pull-up)"] = 17
    double_press_s: Annotated[float, Seconds(0.1, 2), "second press within this = double press"] = 0.4
    long_press_s: Annotated[float, Seconds(0.5, 10),
                            "held this long = ask to end the session (see button_stop)"] = 2.0
    button_stop: Annotated[Literal["off", "confirm"],
                           "off: the button never ends a session (it is within the patient's reach); "
                           "confirm: a long press, then a double press within stop_confirm_s, ends it"] = "off"
    stop_confirm_s: Annotated[float, Seconds(2, 15),
                              "button_stop confirm: a double press within this after a long press ends it"] = 5.0
    bounce_s: Annotated[float, Seconds(0, 0.2), "ignore edges closer than this"] = 0.02
    led_pin: Annotated[Pin | None, "BCM pin of the status LED (PWM)"] = 27
    led_brightness: Annotated[float, Range(0.01, 1), "LED brightness for a dark room"] = 0.3
    encoder_pins: Annotated[tuple[int, int] | None, Parse(_pin_pair), "rotary encoder [a, b]"] = None
    volume_up_pin: Annotated[Pin | None, "volume up button"] = None
    volume_down_pin: Annotated[Pin | None, "volume down button"] = None
    encoder_step_db: Annotated[float, Range(0.5, 6), "dB per encoder detent"] = 1.5
    repeat_s: Annotated[float, Seconds(0.1, 2),
                        "volume button held: repeat a step this often (first repeat after twice this)"] = 0.3


@dataclass(frozen=True)
class WebConfig:
    enabled: Annotated[bool, "serve the staff page and HTTP API"] = True
    bind: Annotated[str, "address; 0.0.0.0 serves the clinic LAN"] = "127.0.0.1"
    port: Annotated[int, Range(0, 65535), "TCP port (0 = any free port, for tests)"] = 8080
    token_file: Annotated[Path | None, "token file (default <data_dir>/web-token)"] = None
    max_connections: Annotated[int, Range(1, 4096),
                               "connections at once, in all (also kept under the fd limit, see docs/security.md)"] = 64
    max_connections_per_address: Annotated[int, Range(1, 4096),
                                           "connections at once from one address (IPv6: /64)"] = 16
    header_timeout_s: Annotated[float, Seconds(1, 120), "a request's head (and body) must arrive within this"] = 10.0
    idle_timeout_s: Annotated[float, Seconds(1, 3600), "an idle keep-alive connection is closed after this"] = 30.0


@dataclass(frozen=True)
class UsbConfig:
    require_signature: Annotated[bool, "refuse playlists without a valid clinic signature"] = False
    key_file: Annotated[Path | None, "clinic signing key"] = None
    max_file_bytes: Annotated[Size, "largest single file accepted"] = 2 * 1024**3
    max_total_bytes: Annotated[Size, "largest import accepted"] = 32 * 1024**3
    max_files: Annotated[int, Range(1, 1_000_000), "most files on a stick accepted"] = 10_000
    reserve_bytes: Annotated[Size, "free space always left on the data disk"] = 512 * 1024**2


VoiceScan = Literal["warn", "error", "off"]


def _voice_scan(value: object) -> str:
    """warn, error or off; YAML reads a bare ``off`` as false, which means off too."""
    return str(parse_value(VoiceScan, "off" if value is False else value))


@dataclass(frozen=True)
class LibraryConfig:
    voice_scan: Annotated[VoiceScan, Parse(_voice_scan),
                          "listen for a spoken voice in the music (the 'voice' extra): warn = a warning "
                          "with where it speaks; error = the playlist is refused; off = do not listen"] = "warn"


@dataclass(frozen=True)
class TlsConfig:
    """The broker connection's TLS files (docs/station.md#tls): a clinic CA, and a client certificate if used."""

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None


def _tls(value: object) -> TlsConfig:
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping with ca_file (and cert_file, key_file for a client certificate)")
    unknown = set(value) - {"ca_file", "cert_file", "key_file"}
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: ca_file, cert_file, key_file")
    if "ca_file" not in value:
        raise ValueError("ca_file is required (the clinic CA that signed the broker's certificate)")
    files = {k: parse_path(v) for k, v in value.items()}
    if ("cert_file" in files) != ("key_file" in files):
        raise ValueError("cert_file and key_file go together")
    return TlsConfig(**files)


def _url(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s\"'<>]+", value):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


def _topic_prefix(value: object) -> str:
    prefix = str(parse_value(str, value))
    if any(c in prefix for c in "+#\0") or prefix.startswith("/") or prefix.endswith("/") or "//" in prefix:
        raise ValueError(f"a topic prefix has no + or # and no empty levels, got {prefix!r}")
    return prefix


def _chair_urls(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of room name to the chair page's URL")
    urls = {}
    for room, url in value.items():
        try:
            urls[str(room)] = _url(url)
        except ValueError as exc:
            raise ValueError(f"{room}: {exc}") from None
    return tuple(urls.items())


@dataclass(frozen=True)
class MqttConfig:
    enabled: Annotated[bool, "publish this chair to the nursing station's broker (docs/station.md)"] = False
    host: Annotated[str, "MQTT broker (Mosquitto) host name or address"] = "localhost"
    port: Annotated[int | None, Range(1, 65535), "broker port (default 1883, with tls 8883)"] = None
    tls: Annotated[TlsConfig | None, Parse(_tls), "{ca_file, cert_file, key_file}: TLS to the broker"] = None
    username: Annotated[str | None, "broker user name (the chair's, or the station's)"] = None
    password_file: Annotated[Path | None, "file holding the broker password (mode 0600)"] = None
    topic_prefix: Annotated[str, Parse(_topic_prefix),
                            "first level of every topic: PREFIX/ROOM/..."] = "session-player"
    keepalive_s: Annotated[float, Seconds(2, 600),
                           "broker pings; silent for 1.5 x the longer of this and status_interval_s = offline"] = 30.0
    allow_control: Annotated[bool,
                             "obey controls on PREFIX/ROOM/control (the broker's ACL is the trust boundary)"] = False
    status_interval_s: Annotated[float, Seconds(0.5, 600),
                                 "status is published on every change and at least this often"] = 5.0
    buffer_events: Annotated[int, Range(10, 100_000),
                             "events kept while the broker is unreachable (oldest dropped beyond)"] = 1000
    web_url: Annotated[str | None, Parse(_url), "this chair's page as staff reach it (the station links it)"] = None


@dataclass(frozen=True)
class StationConfig:
    title: Annotated[str, Text(80), "heading of the station page"] = "Nursing station"
    chair_urls: Annotated[tuple[tuple[str, str], ...], Parse(_chair_urls),
                          "room name -> the chair page's URL, for chairs that send none"] = ()


#: The take-home page's defaults, from the clinic's guidance for a ketamine session (the rest of the day,
#: and integration in the 24-72 h after); docs/clinician.md#the-take-home-integration-page.
REST_OF_DAY = (
    "A responsible adult takes you home today. Do not drive until tomorrow.",
    "For the rest of the day: no driving, no machinery, no important decisions, no signing documents.",
    "Rest. Keep to light, gentle activities, such as a short walk.",
    "Drink water and eat something light.",
)
JOURNALING_PROMPTS = (
    "What did you notice during the session: images, feelings, memories?",
    "Which music stayed with you, and what did it bring up?",
    "What did you hope for from the session, and what came instead?",
    "What would you like to carry into the coming days?",
)


@dataclass(frozen=True)
class TakeHomeConfig:
    """take_home: the integration page printed with the patient's music list (no clinical data)."""

    integration: Annotated[bool, "add the integration page (rest of the day, journaling, follow-up) to the "
                                 "patient's music list"] = True
    rest_of_day: Annotated[tuple[str, ...], Items(8), "advice for the rest of the day"] = REST_OF_DAY
    journaling: Annotated[str, Text(200), "what the journaling part says first"] = (
        "In the next 24 to 72 hours, a few minutes of writing helps what you found last.")
    journaling_prompts: Annotated[tuple[str, ...], Items(8), "questions to write about"] = JOURNALING_PROMPTS
    listen_again: Annotated[str | None, Text(200), "about listening to the music again (unset: not shown)"] = (
        "Listening to this music again in the coming days can help you return to what you felt.")
    follow_up: Annotated[str | None, Text(200), "the follow-up appointment line (unset: not shown)"] = (
        "Your follow-up appointment: ______________________________")


@dataclass(frozen=True)
class MusicFeedbackConfig:
    """music_feedback: the patient's answers about the music after a session (docs/staff.md)."""

    editable_s: Annotated[float | None, Seconds(60, 366 * 24 * 3600),
                          "answers may be given or changed until this long after the session ended, "
                          "e.g. 72h (unset: always)"] = None


@dataclass(frozen=True)
class Config:
    room: Annotated[str, Text(80), "room/chair label: the only identity; never patient data"] = "Room 1"
    data_dir: Annotated[Path, "sessions, library, state"] = DEFAULT_DATA_DIR
    audio: AudioConfig = field(default_factory=AudioConfig)
    volume: VolumeConfig = field(default_factory=VolumeConfig)
    loudness: LoudnessConfig = field(default_factory=LoudnessConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    hardware: HardwareConfig = field(default_factory=HardwareConfig)
    web: WebConfig = field(default_factory=WebConfig)
    usb: UsbConfig = field(default_factory=UsbConfig)
    library: LibraryConfig = field(default_factory=LibraryConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    station: StationConfig = field(default_factory=StationConfig)
    take_home: TakeHomeConfig = field(default_factory=TakeHomeConfig)
    music_feedback: MusicFeedbackConfig = field(default_factory=MusicFeedbackConfig)
    source: str = field(default="<defaults>", compare=False)

    @property
    def socket_path(self) -> Path:
        """Where the daemon listens: ``session.socket``, else the service's runtime folder.

        Under systemd that is ``$RUNTIME_DIRECTORY`` (/run/session-player: memory, so the
        socket opens even when the data disk is full or read-only); run by hand,
        ``<data_dir>/control.sock``.
        """
        runtime = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
        return self.session.socket or (Path(runtime) if runtime else self.data_dir) / "control.sock"

    @property
    def client_socket_path(self) -> Path:
        """Where a client finds the daemon: ``session.socket``, else the service's, else the data folder's."""
        if self.session.socket:
            return self.session.socket
        service = SERVICE_RUNTIME_DIR / "control.sock"
        try:
            present = service.exists()
        except PermissionError:   # the folder is 0750: outside the group, connecting says what to do
            present = True
        return service if present else self.socket_path

    @property
    def token_path(self) -> Path:
        return self.web.token_file or self.data_dir / "web-token"


def _check_values(section: type, data: Mapping, prefix: str, errors: list[str],
                  where: Callable[[object], str]) -> dict:
    known = keys_of(section)
    values = {}
    for key, raw in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            errors.append(f"{where(key)}{unknown_key_message(str(key), known, prefix.rstrip('.') or 'config')}")
            continue
        try:
            values[key] = parse_value(known[key].kind, raw)
        except ValueError as exc:
            errors.append(f"{where(key)}{name}: {exc}")
    return values


def _check_together(config: Config) -> list[str]:
    """What no single key can say: levels under the cap in force, pins used once, a key for signatures."""
    errors = []
    v = config.volume
    cap = cap_db(v)
    cap_name = "the cap volume.max_db"
    if calibrated_cap_applies(v):
        cap_name = (f"the cap from volume.max_dba {v.max_dba:g} dBA at volume.calibration_dba_at_0db "
                    f"{v.calibration_dba_at_0db:g} dBA")
        if cap <= v.floor_db:
            errors.append(f"volume.max_dba: {cap_name} is {cap:g} dB, at or below volume.floor_db "
                          f"({v.floor_db:g} dB): nothing could be heard")
    for key in ("start_db", "default_db"):
        if getattr(v, key) > cap:
            errors.append(f"volume.{key}: {getattr(v, key):g} dB is above {cap_name} ({cap:g} dB)")
    hw = config.hardware
    if hw.encoder_pins and (hw.volume_up_pin is not None or hw.volume_down_pin is not None):
        errors.append("hardware: use either encoder_pins or volume_up_pin/volume_down_pin, not both")
    pins = [p for p in (hw.button_pin, hw.led_pin, hw.volume_up_pin, hw.volume_down_pin,
                        *(hw.encoder_pins or ())) if p is not None]
    if len(pins) != len(set(pins)):
        errors.append(f"hardware: the same pin is used twice: {sorted(pins)}")
    bt = config.audio.bluetooth
    if bt is not None and config.audio.output == "vlc" and not config.audio.device.startswith("bluealsa"):
        errors.append(f"audio.device: with audio.bluetooth the music goes to the headset only, never to a "
                      f"loudspeaker: set audio.device: {alsa_pcm(bt.address)}")
    if config.usb.require_signature and config.usb.key_file is None:
        errors.append("usb.key_file: required when usb.require_signature is true")
    return errors


def config_from_mapping(data: Mapping | None, source: str = "<dict>") -> Config:
    """Validate a mapping in the config file's shape; raise `ConfigInvalid` listing every error."""
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise ConfigInvalid(f"{source}: the config must be a mapping of sections", [])
    errors: list[str] = []

    def where(mapping: Mapping) -> Callable[[object], str]:
        line_of = getattr(mapping, "line_of", None)
        return lambda key: f"{source}:{line_of(key)}: " if line_of else ""

    sections = sections_of(Config)
    top = {k: v for k, v in data.items() if k not in sections}
    values = _check_values(Config, top, "", errors, where(data))
    for name, section in sections.items():
        raw = data.get(name)
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            errors.append(f"{where(data)(name)}{name}: expected a mapping of keys")
            continue
        values[name] = replace(section(), **_check_values(section, raw, f"{name}.", errors, where(raw)))
    config = Config(**values, source=source) if not errors else None
    if config is not None:
        errors += _check_together(config)
    if errors:
        raise ConfigInvalid(f"{source}: {len(errors)} error(s) in config:\n  " + "\n  ".join(errors), errors)
    return config  # type: ignore[return-value]


def load_config(source: str | Path | Mapping | Config | None = None) -> Config:
    """Load config from a path, a mapping, an existing `Config`, or the default file.

    The default file may be absent (all defaults); an explicitly named file must exist.
    """
    if isinstance(source, Config):
        return source
    if isinstance(source, Mapping):
        return config_from_mapping(source)
    path = DEFAULT_CONFIG_PATH if source is None else Path(source)
    try:
        present = path.exists()
    except PermissionError:       # a folder the user may not search: reading it says what to do
        present = True
    if not present:
        if source is None:
            return Config(source="<defaults>")
        raise ConfigInvalid(f"{path}: config file not found")
    try:
        data = load_yaml_file(path)
    except YamlRefused as exc:  # also a FIFO or device as --config: refused, never read (it would block)
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise ConfigInvalid(f"{where}: {exc}", [str(exc)]) from None
    except OSError as exc:
        hint = f"; {GROUP_HINT}" if exc.errno == errno.EACCES else ""
        raise ConfigInvalid(f"{path}: cannot read config: {exc.strerror}{hint}") from None
    return config_from_mapping(data, str(path))


def describe_schema() -> list[tuple[str, object, str]]:
    """(key, default, doc) for every key: for `session-player config --defaults` and docs/technician.md."""
    rows = [(key.name, key.default, key.doc) for key in keys_of(Config).values()]
    for name, section in sections_of(Config).items():
        rows += [(f"{name}.{key.name}", key.default, key.doc) for key in keys_of(section).values()]
    return rows
