"""The daemon's configuration: a YAML file checked against a schema, every error at once.

`/etc/session-player/config.yaml` by default; `--config FILE` overrides it; a dict in the
file's shape is accepted too (tests, `Daemon(config={...})`). A missing default file means
"all defaults". Errors read ``section.key: message`` with "did you mean" for typos, as in
Mopidy's config schemas.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

from player.audio.exposure import HARD_CEILING_DBA, effective_cap_db
from player.durations import parse_duration
from player.errors import ConfigInvalid
from player.oneline import is_one_line
from player.session.observations import parse_kinds
from player.suggest import unknown_key_message
from player.yamlsafe import YamlRefused, load_yaml_file

DEFAULT_CONFIG_PATH = Path("/etc/session-player/config.yaml")
DEFAULT_DATA_DIR = Path("/var/lib/session-player")
SERVICE_RUNTIME_DIR = Path("/run/session-player")   # the unit's RuntimeDirectory


# --- value types: each raises a short ValueError -------------------------------------

def _number(lo: float = -math.inf, hi: float = math.inf) -> Callable[[object], float]:
    def parse(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {value!r}")
        if not math.isfinite(value) or not lo <= value <= hi:
            raise ValueError(f"must be between {lo:g} and {hi:g}, got {value!r}")
        return float(value)
    return parse


def _seconds(lo: float = 0.0, hi: float = 24 * 3600.0) -> Callable[[object], float]:
    def parse(value: object) -> float:
        seconds = parse_duration(value)
        if not lo <= seconds <= hi:
            raise ValueError(f"must be between {lo:g} s and {hi:g} s, got {value!r}")
        return seconds
    return parse


def _integer(lo: int, hi: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {value!r}")
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}, got {value}")
        return value
    return parse


def _optional(parse: Callable[[object], object]) -> Callable[[object], object]:
    return lambda value: None if value is None else parse(value)


def _text(max_len: int = 200) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"expected non-empty text, got {value!r}")
        if len(value) > max_len or not is_one_line(value):
            raise ValueError(f"must be one line of at most {max_len} characters")
        return value
    return parse


def _text_list(max_items: int) -> Callable[[object], tuple[str, ...]]:
    def parse(value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or len(value) > max_items:
            raise ValueError(f"expected a list of at most {max_items} one-line texts, got {value!r}"[:120])
        items = tuple(_text()(v).strip() for v in value)
        if len(set(items)) != len(items):
            raise ValueError("an item is listed twice")
        return items
    return parse


def _path(value: object) -> Path:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a path, got {value!r}")
    return Path(value).expanduser()


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _choice(*choices: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}; got {value!r}")
        return value
    return parse


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


def _pin(value: object) -> int:
    return _integer(0, 27)(value)


def _pin_pair(value: object) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"expected two BCM pin numbers such as [5, 6], got {value!r}")
    return (_pin(value[0]), _pin(value[1]))


def _spec(parse: Callable[[object], object], default: object, doc: str):
    return field(default=default, metadata={"parse": parse, "doc": doc})


# --- sections ------------------------------------------------------------------------

@dataclass(frozen=True)
class AudioConfig:
    device: str = _spec(_text(), "default", "ALSA device passed to libVLC (--alsa-audio-device)")
    output: str = _spec(_choice("vlc", "fake"), "vlc", "vlc = libVLC (real); fake = simulated, for tests")
    stall_timeout_s: float = _spec(_seconds(0.5, 30), 1.5, "no playback progress for this long = stalled, skip")
    latency_s: float = _spec(_seconds(0, 5), 1.5,
                             "how long the output takes to play what libVLC hands it (PulseAudio's ALSA plugin: "
                             "1.3 s measured); fades end this long before a track's end, and a faded deck plays "
                             "on muted this long before it is stopped, since stopping drops what is buffered")
    device_retry_max_s: float = _spec(_seconds(1, 600), 30.0, "longest wait between audio-device retries")


@dataclass(frozen=True)
class VolumeConfig:
    max_db: float = _spec(_number(-60, 0), -6.0,
                          "hard cap: the loudest the patient hears, dB relative to the loudness target")
    start_db: float = _spec(_number(-60, 0), -20.0, "level every session and restart fades in to")
    default_db: float = _spec(_number(-60, 0), -12.0, "playing level: reached after the start fade, slowly")
    rise_s: float = _spec(_seconds(10, 1800), 60.0,
                          "after the start fade, the level moves from start_db to default_db over this long")
    fade_in_s: float = _spec(_seconds(0, 600), 45.0, "fade from silence to start_db")
    step_db: float = _spec(_number(0.5, 12), 3.0, "volume up/down step")
    floor_db: float = _spec(_number(-90, -30), -60.0, "where fades from silence begin")
    calibration_dba_at_0db: float | None = _spec(
        _optional(_number(40, 150)), None,
        "dBA at the ear of music at the loudness target played at 0 dB ('session-player calibrate')")
    max_dba: float = _spec(_number(40, HARD_CEILING_DBA), HARD_CEILING_DBA,
                           "when calibrated, the cap is also this level at the ear (85 dBA is the hard ceiling)")


@dataclass(frozen=True)
class LoudnessConfig:
    target_lufs: float = _spec(_number(-40, -5), -18.0, "normalization target (EBU R128 / ReplayGain 2)")
    max_true_peak_db: float = _spec(_number(-12, 0), -1.0, "true peak never exceeds this after gain")
    max_boost_db: float = _spec(_number(0, 18), 18.0,
                                "most a quiet master is amplified above VLC 100% (its true peak bounds it too)")


@dataclass(frozen=True)
class SessionConfig:
    default_playlist: Path | None = _spec(_optional(_path), None, "playlist the bedside button starts")
    resume_policy: str = _spec(_choice("continue", "pause"), "continue",
                               "after a power cut: continue the clock, or pause and wait for staff")
    socket: Path | None = _spec(_optional(_path), None, "control socket (default <data_dir>/control.sock)")
    checkpoint_grace_s: float = _spec(_seconds(10, 3600), 300.0,
                                      "a checkpoint not acknowledged this long after it is due is missed")
    observation_kinds: dict | None = _spec(_optional(parse_kinds), None,
                                           "extra observation kinds, e.g. {etco2: {unit: mmHg, min: 10, max: 80}}")
    checklist: tuple[str, ...] = _spec(_text_list(30), (),
                                       "pre-session checklist shown before Start, e.g. [headphones fitted, eye mask]")
    require_checklist: bool = _spec(_boolean, False, "refuse a start until every checklist item is ticked")


@dataclass(frozen=True)
class HardwareConfig:
    enabled: bool = _spec(_boolean, True, "use the bedside button/LED")
    pin_factory: str = _spec(_choice("lgpio", "rpigpio", "pigpio", "native", "mock"), "lgpio",
                             "gpiozero pin factory: lgpio on a Pi, mock for tests/demo")
    button_pin: int = _spec(_pin, 17, "BCM pin of the staff button (to ground, pull-up)")
    double_press_s: float = _spec(_seconds(0.1, 2), 0.4, "second press within this = double press")
    long_press_s: float = _spec(_seconds(0.5, 10), 2.0, "held this long = end session")
    bounce_s: float = _spec(_seconds(0, 0.2), 0.02, "ignore edges closer than this")
    led_pin: int | None = _spec(_optional(_pin), 27, "BCM pin of the status LED (PWM)")
    led_brightness: float = _spec(_number(0.01, 1), 0.3, "LED brightness for a dark room")
    encoder_pins: tuple[int, int] | None = _spec(_optional(_pin_pair), None, "rotary encoder [a, b]")
    volume_up_pin: int | None = _spec(_optional(_pin), None, "volume up button")
    volume_down_pin: int | None = _spec(_optional(_pin), None, "volume down button")
    encoder_step_db: float = _spec(_number(0.5, 6), 1.5, "dB per encoder detent")
    repeat_s: float = _spec(_seconds(0.1, 2), 0.3,
                            "volume button held: repeat a step this often (first repeat after twice this)")


@dataclass(frozen=True)
class WebConfig:
    enabled: bool = _spec(_boolean, True, "serve the staff page and HTTP API")
    bind: str = _spec(_text(), "127.0.0.1", "address; 0.0.0.0 serves the clinic LAN")
    port: int = _spec(_integer(0, 65535), 8080, "TCP port (0 = any free port, for tests)")
    token_file: Path | None = _spec(_optional(_path), None, "token file (default <data_dir>/web-token)")
    max_connections: int = _spec(_integer(1, 4096), 64,
                                 "connections at once, in all (also kept under the fd limit, see docs/security.md)")
    max_connections_per_address: int = _spec(_integer(1, 4096), 16, "connections at once from one address (IPv6: /64)")
    header_timeout_s: float = _spec(_seconds(1, 120), 10.0, "a request's head (and body) must arrive within this")
    idle_timeout_s: float = _spec(_seconds(1, 3600), 30.0, "an idle keep-alive connection is closed after this")


@dataclass(frozen=True)
class UsbConfig:
    require_signature: bool = _spec(_boolean, False, "refuse playlists without a valid clinic signature")
    key_file: Path | None = _spec(_optional(_path), None, "clinic signing key")
    max_file_bytes: int = _spec(parse_size, 2 * 1024**3, "largest single file accepted")
    max_total_bytes: int = _spec(parse_size, 32 * 1024**3, "largest import accepted")
    max_files: int = _spec(_integer(1, 1_000_000), 10_000, "most files on a stick accepted")
    reserve_bytes: int = _spec(parse_size, 512 * 1024**2, "free space always left on the data disk")


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
    files = {k: _path(v) for k, v in value.items()}
    if ("cert_file" in files) != ("key_file" in files):
        raise ValueError("cert_file and key_file go together")
    return TlsConfig(**files)


def _url(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s\"'<>]+", value):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


def _topic_prefix(value: object) -> str:
    prefix = _text()(value)
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
    enabled: bool = _spec(_boolean, False, "publish this chair to the nursing station's broker (docs/station.md)")
    host: str = _spec(_text(), "localhost", "MQTT broker (Mosquitto) host name or address")
    port: int | None = _spec(_optional(_integer(1, 65535)), None, "broker port (default 1883, with tls 8883)")
    tls: TlsConfig | None = _spec(_optional(_tls), None, "{ca_file, cert_file, key_file}: TLS to the broker")
    username: str | None = _spec(_optional(_text()), None, "broker user name (the chair's, or the station's)")
    password_file: Path | None = _spec(_optional(_path), None, "file holding the broker password (mode 0600)")
    topic_prefix: str = _spec(_topic_prefix, "session-player", "first level of every topic: PREFIX/ROOM/...")
    keepalive_s: float = _spec(_seconds(2, 600), 30.0,
                               "broker pings; silent for 1.5 x the longer of this and status_interval_s = offline")
    allow_control: bool = _spec(_boolean, False,
                                "obey controls on PREFIX/ROOM/control (the broker's ACL is the trust boundary)")
    status_interval_s: float = _spec(_seconds(0.5, 600), 5.0,
                                     "status is published on every change and at least this often")
    buffer_events: int = _spec(_integer(10, 100_000), 1000,
                               "events kept while the broker is unreachable (oldest dropped beyond)")
    web_url: str | None = _spec(_optional(_url), None,
                                "this chair's page as staff reach it (the station links it)")


@dataclass(frozen=True)
class StationConfig:
    title: str = _spec(_text(80), "Nursing station", "heading of the station page")
    chair_urls: tuple[tuple[str, str], ...] = _spec(_chair_urls, (),
                                                    "room name -> the chair page's URL, for chairs that send none")


@dataclass(frozen=True)
class Config:
    room: str = _spec(_text(80), "Room 1", "room/chair label: the only identity; never patient data")
    data_dir: Path = _spec(_path, DEFAULT_DATA_DIR, "sessions, library, state")
    audio: AudioConfig = field(default_factory=AudioConfig)
    volume: VolumeConfig = field(default_factory=VolumeConfig)
    loudness: LoudnessConfig = field(default_factory=LoudnessConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    hardware: HardwareConfig = field(default_factory=HardwareConfig)
    web: WebConfig = field(default_factory=WebConfig)
    usb: UsbConfig = field(default_factory=UsbConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    station: StationConfig = field(default_factory=StationConfig)
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
        return service if service.exists() else self.socket_path

    @property
    def token_path(self) -> Path:
        return self.web.token_file or self.data_dir / "web-token"


_SECTIONS = {f.name: f.default_factory for f in fields(Config) if f.default_factory is not MISSING}


def _check_values(obj: object, data: Mapping, prefix: str, errors: list[str], where: Callable[[object], str]) -> dict:
    known = {f.name: f for f in fields(obj) if "parse" in f.metadata}  # type: ignore[arg-type]
    values = {}
    for key, raw in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            errors.append(f"{where(key)}{unknown_key_message(str(key), known, prefix.rstrip('.') or 'config')}")
            continue
        try:
            values[key] = known[key].metadata["parse"](raw)
        except ValueError as exc:
            errors.append(f"{where(key)}{name}: {exc}")
    return values


def config_from_mapping(data: Mapping | None, source: str = "<dict>") -> Config:
    """Validate a mapping in the config file's shape; raise `ConfigInvalid` listing every error."""
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise ConfigInvalid(f"{source}: the config must be a mapping of sections", [])
    errors: list[str] = []

    def where(mapping: Mapping) -> Callable[[object], str]:
        line_of = getattr(mapping, "line_of", None)
        return lambda key: f"{source}:{line_of(key)}: " if line_of else ""

    top = {k: v for k, v in data.items() if k not in _SECTIONS}
    values = _check_values(Config(), top, "", errors, where(data))
    for section, factory in _SECTIONS.items():
        raw = data.get(section)
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            errors.append(f"{where(data)(section)}{section}: expected a mapping of keys")
            continue
        values[section] = replace(factory(), **_check_values(factory(), raw, f"{section}.", errors, where(raw)))
    config = Config(**values, source=source) if not errors else None
    if config is not None:
        v = config.volume
        cap = effective_cap_db(v.max_db, v.max_dba, v.calibration_dba_at_0db)
        cap_name = "the cap volume.max_db"
        if cap < v.max_db:  # calibrated: every path already caps at max_db, so the dBA cap goes in there
            config = replace(config, volume=replace(v, max_db=cap))
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
        if config.usb.require_signature and config.usb.key_file is None:
            errors.append("usb.key_file: required when usb.require_signature is true")
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
    if not path.exists():
        if source is None:
            return Config(source="<defaults>")
        raise ConfigInvalid(f"{path}: config file not found")
    try:
        data = load_yaml_file(path)
    except YamlRefused as exc:  # also a FIFO or device as --config: refused, never read (it would block)
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise ConfigInvalid(f"{where}: {exc}", [str(exc)]) from None
    except OSError as exc:
        raise ConfigInvalid(f"{path}: cannot read config: {exc.strerror}") from None
    return config_from_mapping(data, str(path))


def describe_schema() -> list[tuple[str, object, str]]:
    """(key, default, doc) for every key: for `session-player config --defaults` and docs/technician.md."""
    rows = []
    for f in fields(Config):
        if "parse" in f.metadata:
            rows.append((f.name, f.default, f.metadata["doc"]))
    for section, factory in _SECTIONS.items():
        for f in fields(factory()):
            rows.append((f"{section}.{f.name}", f.default, f.metadata["doc"]))
    return rows
