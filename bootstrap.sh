#!/usr/bin/env bash
# One-command set-up on a fresh Debian 12 / Raspberry Pi OS Bookworm machine.
#
#   ./bootstrap.sh demo    install system packages + a venv (.venv), then play the demo session
#   ./bootstrap.sh test    the same set-up plus test tools (headless Chromium), then run the checks:
#                          ruff, pytest, and packaging/test-deb (builds the .deb, installs, checks and
#                          purges it again) and packaging/test-arm64 (the .deb installed and used in an
#                          arm64 Debian 12 root under qemu; ARM64=0 skips it); both need root or sudo,
#                          skipped otherwise
#
# System packages come from apt (sudo is used when not root). Python packages go into a
# venv made with --system-site-packages (Bookworm's pip refuses system-wide installs, PEP 668;
# Debian's lgpio stays visible on a Pi). VENV=/path overrides the venv location.
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-}
case "$mode" in demo|test) ;; *) echo "usage: $0 demo|test" >&2; exit 2 ;; esac

RUNTIME_PKGS=(python3 python3-venv python3-dev vlc-bin vlc-plugin-base ffmpeg)
# The bedside GPIO library (gpiozero's lgpio factory) is packaged by Raspberry Pi OS only.
if apt-cache show python3-lgpio >/dev/null 2>&1; then RUNTIME_PKGS+=(python3-lgpio); fi
TEST_PKGS=(pulseaudio pulseaudio-utils libasound2-plugins chromium chromium-driver dosfstools
           mtools flac sox systemd poppler-utils udev dpkg-dev debhelper dh-python lintian
           mosquitto openssl    # a real MQTT broker (and a test CA) for the nursing-station tests
           dbus-daemon python3-dbusmock python3-dbus-fast   # fake BlueZ/BlueALSA on a private system bus
           espeak-ng            # spoken words for the voice-scan tests (mixed over sox pads)
           debootstrap qemu-user-static binfmt-support)   # packaging/test-arm64: an arm64 Debian root
# Without a sound card, the demo plays into a virtual one (PulseAudio null sink). Only then:
# on a Pi with PipeWire, installing PulseAudio would replace pipewire-pulse.
SINK_PKGS=(pulseaudio pulseaudio-utils libasound2-plugins)
pkgs=("${RUNTIME_PKGS[@]}")
[ "$mode" = test ] && pkgs+=("${TEST_PKGS[@]}")
if [ "$mode" = demo ] && ! grep -q '^ *[0-9]' /proc/asound/cards 2>/dev/null; then pkgs+=("${SINK_PKGS[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bootstrap: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PY" -m venv --system-site-packages "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip >&2 || true
if [ "$mode" = demo ]; then
  "$VENV/bin/python" -m pip install -q -e . >&2
  exec "$VENV/bin/session-player" demo
fi
"$VENV/bin/python" -m pip install -q -e '.[test]' >&2
# The voice scan's onnxruntime (a pip wheel; not in Debian 12). Its tests skip, saying why, only where no wheel installs.
"$VENV/bin/python" -m pip install -q -e '.[test,voice]' >&2 \
  || echo "bootstrap: the voice extra (onnxruntime) did not install here: the voice-scan tests will skip" >&2
"$VENV/bin/python" -m ruff check player tests bench
"$VENV/bin/python" -m pytest
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! sudo -n true 2>/dev/null; then
    echo "bootstrap: packaging/test-deb and test-arm64 skipped (need root): sudo ./packaging/test-deb" >&2
    exit 0
  fi
  SUDO="sudo"
fi
$SUDO ./packaging/test-deb
if [ "${ARM64:-1}" = 0 ]; then
  echo "bootstrap: packaging/test-arm64 skipped (ARM64=0)" >&2
else
  $SUDO ./packaging/test-arm64
fi
