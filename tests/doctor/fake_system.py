"""A `System` whose every answer is a field a test sets: a healthy chair unless told otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FakeSystem:
    """Answers as on a correctly set-up chair; each field is one probe's answer."""

    service_user: str = "session-player"
    identity: str = "session-player"
    admin: str | None = "admin"
    users: set[str] = field(default_factory=lambda: {"session-player", "admin"})
    groups: dict[str, set[str]] = field(default_factory=lambda: {
        "session-player": {"session-player", "audio", "gpio"}, "admin": {"admin", "sudo", "session-player"}})
    existing_groups: set[str] = field(default_factory=lambda: {"audio", "gpio", "session-player"})
    streams: dict = field(default_factory=lambda: {"device": "default", "opened": 2, "error": None,
                                                   "alternatives": []})
    pins: dict = field(default_factory=lambda: {"ok": True, "cwd": "/var/lib/session-player", "error": None})
    programs: dict[str, str] = field(default_factory=lambda: {"ffmpeg": "/usr/bin/ffmpeg"})
    filters: str = " ... ebur128          A->N       EBU R128 scanner.\n"
    voice: dict = field(default_factory=lambda: {"onnxruntime": "1.16.3", "error": None})
    owners: dict[Path, str] = field(default_factory=dict)
    default_owner: str = "session-player"
    free_total: tuple[int, int] = (20 * 10**9, 32 * 10**9)
    clock: tuple[bool | None, str] = (True, "timedatectl")
    asked: list[tuple] = field(default_factory=list)

    def invoking_admin(self) -> str | None:
        return self.admin

    def user_exists(self, user: str) -> bool:
        return user in self.users

    def group_exists(self, group: str) -> bool:
        return group in self.existing_groups

    def groups_of(self, user: str) -> set[str]:
        return self.groups.get(user, set())

    def two_streams(self, device: str) -> dict:
        self.asked.append(("two_streams", device))
        return dict(self.streams, device=device)

    def playback_devices(self) -> dict:
        return {"devices": [
            {"device": "default:CARD=Device", "description": "USB Audio Device, USB Audio", "two_streams": True,
             "error": None},
            {"device": "hw:CARD=Device,DEV=0", "description": "USB Audio Device, USB Audio / Direct hardware",
             "two_streams": False, "error": "stream 2 cannot open: Device or resource busy"}]}

    def pin_factory(self, name: str, cwd: Path) -> dict:
        self.asked.append(("pin_factory", name, cwd))
        return self.pins

    def which(self, program: str) -> str | None:
        return self.programs.get(program)

    def ffmpeg_filters(self, ffmpeg: str) -> str:
        return self.filters

    def voice_scan(self) -> dict:
        return self.voice

    def owner(self, path: Path) -> str | None:
        return self.owners.get(path, self.default_owner)

    def disk_usage(self, path: Path) -> tuple[int, int]:
        return self.free_total

    def clock_synchronized(self) -> tuple[bool | None, str]:
        return self.clock
