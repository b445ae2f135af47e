#!/usr/bin/env bash
# Install session-player as a service on Raspberry Pi OS Bookworm (Debian 12), as root:
#
#   sudo systemd/install.sh            # from a clone of the repository
#
# Creates the user session-player (groups audio, gpio), a venv in /opt/session-player/venv
# (--system-site-packages so Debian's lgpio is visible; Bookworm's pip refuses system-wide
# installs), /etc/session-player/config.yaml (kept if present), the systemd units and the
# USB udev rule, then enables and starts the service. Idempotent.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo $0)" >&2; exit 1; }
src=$(cd "$(dirname "$0")/.." && pwd)
prefix=/opt/session-player

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  python3 python3-venv vlc-bin vlc-plugin-base python3-lgpio >/dev/null || \
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  python3 python3-venv vlc-bin vlc-plugin-base >/dev/null  # python3-lgpio exists only on Raspberry Pi OS

getent group gpio >/dev/null || groupadd --system gpio
id session-player >/dev/null 2>&1 || \
  useradd --system --home-dir /var/lib/session-player --shell /usr/sbin/nologin session-player
usermod -a -G audio,gpio session-player

mkdir -p "$prefix"
[ -x "$prefix/venv/bin/python" ] || python3 -m venv --system-site-packages "$prefix/venv"
"$prefix/venv/bin/pip" install -q --upgrade pip
"$prefix/venv/bin/pip" install -q "$src"
install -m 0644 "$src/README.md" "$prefix/README.md"

install -d -m 0755 /etc/session-player
if [ ! -e /etc/session-player/config.yaml ]; then
  install -m 0644 "$src/systemd/config.example.yaml" /etc/session-player/config.yaml
  echo "wrote /etc/session-player/config.yaml: set room, audio.device and volume.max_db for this chair"
fi
"$prefix/venv/bin/session-player" config --config /etc/session-player/config.yaml >/dev/null

install -m 0644 "$src/systemd/session-player.service" /etc/systemd/system/
for f in "$src"/systemd/session-player-usb@.service; do
  [ -e "$f" ] && install -m 0644 "$f" /etc/systemd/system/
done
for f in "$src"/hardware/*.rules; do
  [ -e "$f" ] && install -m 0644 "$f" /etc/udev/rules.d/
done
udevadm control --reload || true
systemctl daemon-reload
systemctl enable --now session-player.service
systemctl --no-pager status session-player.service | head -5
