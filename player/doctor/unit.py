"""The settings of the installed session-player.service that the checks compare with the config.

Read the way systemd layers them: the unit in /etc/systemd/system (else /lib/systemd/system),
then its drop-ins in name order, a later assignment replacing an earlier one (list settings
such as ReadWritePaths add up; an empty assignment clears them).
"""

from __future__ import annotations

from pathlib import Path

UNIT = "session-player.service"
UNIT_DIRS = (Path("/etc/systemd/system"), Path("/run/systemd/system"), Path("/lib/systemd/system"),
             Path("/usr/lib/systemd/system"))
LIST_KEYS = frozenset({"ReadWritePaths", "SupplementaryGroups", "StateDirectory"})


def parse_unit(texts: list[str]) -> dict[str, list[str]]:
    """Key -> values from the unit's text and its drop-ins, in order (pure)."""
    settings: dict[str, list[str]] = {}
    for text in texts:
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";", "[")) or "=" not in line:
                continue
            key, value = (part.strip() for part in line.split("=", 1))
            if key in LIST_KEYS:
                settings[key] = [] if not value else settings.get(key, []) + value.split()
            else:
                settings[key] = [value]
    return settings


def installed_unit(unit_dirs: tuple[Path, ...] = UNIT_DIRS) -> tuple[Path | None, dict[str, list[str]]]:
    """The unit file in force and its settings; (None, {}) when it is not installed."""
    main = next((d / UNIT for d in unit_dirs if (d / UNIT).is_file()), None)
    if main is None:
        return None, {}
    dropins = sorted({p.name: p for d in reversed(unit_dirs) for p in (d / f"{UNIT}.d").glob("*.conf")}.items())
    return main, parse_unit([main.read_text(encoding="utf-8")] + [p.read_text(encoding="utf-8") for _, p in dropins])


def working_directory(settings: dict[str, list[str]], default: Path) -> Path:
    """The service's WorkingDirectory (``-`` prefix allowed), or `default` without a unit."""
    value = (settings.get("WorkingDirectory") or [""])[-1].lstrip("-")
    return Path(value) if value.startswith("/") else default


def writable_paths(settings: dict[str, list[str]]) -> list[Path]:
    """Where ProtectSystem=strict still lets the service write: ReadWritePaths and its StateDirectory."""
    paths = [Path(p.lstrip("-+")) for p in settings.get("ReadWritePaths", [])]
    paths += [Path("/var/lib") / d for d in settings.get("StateDirectory", [])]
    return paths
