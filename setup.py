"""session-player: the audio player beside the treatment chair."""
import re
from pathlib import Path

from setuptools import find_packages, setup

VERSION = re.search(r'__version__ = "([^"]+)"', Path("player/__init__.py").read_text()).group(1)

setup(
    name="session-player",
    version=VERSION,
    description="Phase-driven, fade-safe music player for ketamine and psychedelic-assisted therapy sessions",
    long_description=Path("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["player", "player.*"]),
    package_data={"player": ["web/static/*", "station/static/*", "http/static/*", "http/page_head.html", "data/*"]},
    install_requires=[
        # Floors are Debian 12's own packages (the .deb depends on them; tests pass with them):
        # python3-vlc 3.0.18121, python3-gpiozero 1.6.2 (Raspberry Pi OS ships 2.x), python3-aiohttp 3.8.4.
        "python-vlc>=3.0.18121",
        "numpy>=1.24",  # demo audio and test signals, loudness measurement
        "soundfile>=0.12",  # read/write flac, ogg, wav, mp3 (bundled libsndfile)
        "gpiozero>=1.6.2",
        "mutagen>=1.46",
        "PyYAML>=6.0",
        "aiohttp>=3.8.4",  # staff web page/API: one asyncio thread serves HTTP and many SSE clients cheaply on a Pi
    ],
    extras_require={
        # pyloudnorm: an independent BS.1770 meter to check our loudness figures against (tests, bench).
        # dbus-fast: the Bluetooth tests' client of the fake BlueZ/BlueALSA (the fakes themselves need
        # dbus-daemon and python3-dbusmock from apt, run by /usr/bin/python3: bootstrap.sh installs them).
        "test": ["pytest>=7", "hypothesis>=6", "ruff", "selenium>=4.10", "pyloudnorm>=0.1.1", "paho-mqtt>=1.6.1",
                 "dbus-fast>=1.84"],
        # The nursing station's feed and the station itself (docs/station.md); Debian: python3-paho-mqtt.
        "mqtt": ["paho-mqtt>=1.6.1"],
        # Bluetooth headphones through BlueZ and BlueALSA (docs/technician.md#bluetooth-headphones): a pure-Python,
        # asyncio D-Bus client, no libdbus or GLib main loop in the daemon; Debian 12: python3-dbus-fast 1.84.
        "bluetooth": ["dbus-fast>=1.84"],
        # The voice scan (docs/technician.md#the-voice-scan): Silero VAD's ONNX model, shipped in player/data/,
        # run by onnxruntime alone (no torch). Not in Debian 12: pip wheels for x86_64 and aarch64 (Pi 4/5).
        "voice": ["onnxruntime>=1.16"],
        # Mutation testing of the pure cores (python -m tests.mutation); not needed for a CI run.
        "mutation": ["mutmut>=3.8,<4"],
    },
    entry_points={"console_scripts": ["session-player = player.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
        "Topic :: Multimedia :: Sound/Audio :: Players",
    ],
)
