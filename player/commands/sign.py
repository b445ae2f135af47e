"""Sign a playlist for clinics that set usb.require_signature: writes PLAYLIST.sig.

The signature is HMAC-SHA256 with the clinic's secret key over the playlist's bytes and
the SHA-256 of every audio file it plays, so changing the playlist or any of its files
after signing makes the Pi refuse it. Sign after the last edit, on the laptop that
prepares the stick. --new-key creates the key file (keep it secret; copy it to each Pi's
usb.key_file).
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path

from player.usb import signing

NAME = "sign"
HELP = "sign a playlist with the clinic key (writes PLAYLIST.sig)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("playlist", metavar="PLAYLIST", type=Path, help="playlist file to sign")
    parser.add_argument("--key", metavar="KEYFILE", type=Path, required=True, help="the clinic's secret key file")
    parser.add_argument("--new-key", action="store_true", help="create KEYFILE with a new random key first")


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def run(args: argparse.Namespace) -> int:
    from player.playlist.validate import load_playlist

    if args.new_key:
        signing.make_key(args.key)
        print(f"new key written to {args.key} (mode 0600): copy it to each player's usb.key_file")
    key = signing.load_key(args.key)
    path = Path(os.path.abspath(args.playlist))
    playlist = load_playlist(path)
    base = os.fspath(path.parent)
    files = {os.path.relpath(t.path, base).replace(os.sep, "/"): _sha256(os.fspath(t.path))
             for phase in playlist.phases for t in phase.tracks}
    sig_path = path.with_name(path.name + ".sig")
    sig_path.write_text(signing.sign(key, path.read_bytes(), files), encoding="ascii")
    print(f"signed {path.name} and its {len(files)} files: {sig_path}")
    return 0
