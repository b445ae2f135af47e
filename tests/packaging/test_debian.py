"""The Debian package's sources agree with the code: version, dependencies and floors, launcher, manual page.

The package itself is built, linted, installed and purged by packaging/test-deb (run by
./bootstrap.sh test as root); these checks need nothing but the files.
"""

from __future__ import annotations

import re
from pathlib import Path

from player import __version__
from player.cli import command_specs

ROOT = Path(__file__).resolve().parents[2]
# setup.py's name -> the Debian package providing it; None: only recommended (the demo's music)
DEBIAN_NAMES = {"python-vlc": "python3-vlc", "gpiozero": "python3-gpiozero", "mutagen": "python3-mutagen",
                "PyYAML": "python3-yaml", "aiohttp": "python3-aiohttp", "numpy": "python3-numpy",
                "soundfile": "python3-soundfile"}


def _field(name: str) -> str:
    control = (ROOT / "debian" / "control").read_text()
    match = re.search(rf"^{name}:(.*?)(?=^\S)", control + "\nEnd:", re.M | re.S)
    return match.group(1)


def _requires() -> dict[str, str]:
    setup = (ROOT / "setup.py").read_text()
    return dict(re.findall(r'"([A-Za-z][\w.-]*)>=([\d.]+)"', setup[setup.index("install_requires"):
                                                               setup.index("extras_require")]))


def test_changelog_version_is_the_code_version():
    first = (ROOT / "debian" / "changelog").read_text().splitlines()[0]
    assert re.match(rf"session-player \({re.escape(__version__)}\) ", first), first


def test_every_runtime_requirement_is_a_debian_dependency_with_the_same_floor():
    depends, recommends = _field("Depends"), _field("Recommends")
    for name, floor in _requires().items():
        package = DEBIAN_NAMES[name]
        if name in ("numpy", "soundfile"):
            assert package in recommends, f"{package} should be recommended (demo music only)"
            continue
        assert f"{package} (>= {floor})" in depends, f"debian/control should depend on {package} (>= {floor})"
    for tool in ("vlc-plugin-base", "ffmpeg", "adduser"):
        assert tool in depends
    assert "python3-lgpio" in recommends  # Raspberry Pi OS only: a Depends would not install on Debian


def test_launcher_looks_where_the_package_installs_the_code():
    launcher = (ROOT / "packaging" / "session-player").read_text()
    install = (ROOT / "debian" / "install").read_text()
    assert re.search(r"^player usr/share/session-player$", install, re.M)
    assert 'sys.path.insert(0, "/usr/share/session-player")' in launcher
    assert re.search(r"^packaging/session-player usr/bin$", install, re.M)


def test_units_run_the_installed_program():
    for unit in ("session-player.service", "session-player-usb@.service", "session-player-station.service"):
        text = (ROOT / "systemd" / unit).read_text()
        assert re.search(r"^ExecStart=/usr/bin/session-player ", text, re.M), unit


def test_manual_page_names_every_command():
    page = (ROOT / "packaging" / "session-player.1").read_text()
    names = set(re.findall(r'^\.BR? (.*)$', page, re.M))
    mentioned = {w.strip('",').replace("\\-", "-") for line in names for w in line.split()}
    missing = [spec.NAME for spec in command_specs() if spec.NAME not in mentioned]
    assert not missing, f"packaging/session-player.1 does not list: {missing}"
    assert f'"session-player {__version__}"' in page
