"""Clinic signatures on playlists: HMAC-SHA256 over the playlist and its files' hashes.

Why HMAC (stdlib ``hmac``) and not Ed25519: it needs no new dependency, and the threat is a
stick tampered with between the clinician's laptop and the Pi, not a Pi that must verify
without being able to sign. The clinic keeps one secret key on the signing laptop and in
``usb.key_file`` on each Pi (mode 0600).

The signed message binds the playlist's exact bytes to the SHA-256 of every file it
references (by path relative to the playlist), so swapping a track, adding one the glob
would pick up, or editing the YAML all invalidate the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from player.errors import ImportRefused

SIG_PREFIX = "session-player-hmac-sha256-v1 "
MIN_KEY_BYTES = 16


def load_key(path: str | os.PathLike[str]) -> bytes:
    """The key in `path` (its bytes, surrounding whitespace stripped).

    Raises:
        ImportRefused: unreadable or shorter than 16 bytes.
    """
    try:
        key = Path(path).read_bytes().strip()
    except OSError as exc:
        raise ImportRefused(f"cannot read the signing key {path}: {exc.strerror}") from None
    if len(key) < MIN_KEY_BYTES:
        raise ImportRefused(f"the signing key {path} is too short (at least {MIN_KEY_BYTES} bytes)")
    return key


def make_key(path: str | os.PathLike[str]) -> None:
    """Write a new random key (64 hex characters) readable only by its owner; never overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")


def message(playlist_bytes: bytes, file_hashes: Mapping[str, str]) -> bytes:
    """The bytes that are signed: the playlist's SHA-256 and each ``sha256  relpath`` line, sorted."""
    lines = [f"playlist {hashlib.sha256(playlist_bytes).hexdigest()}"]
    lines += [f"{sha}  {rel}" for rel, sha in sorted(file_hashes.items())]
    return ("\n".join(lines) + "\n").encode("utf-8")


def sign(key: bytes, playlist_bytes: bytes, file_hashes: Mapping[str, str]) -> str:
    """The text of a ``.sig`` file."""
    mac = hmac.new(key, message(playlist_bytes, file_hashes), hashlib.sha256).hexdigest()
    return SIG_PREFIX + mac + "\n"


def verify(key: bytes, sig_text: bytes, playlist_bytes: bytes, file_hashes: Mapping[str, str]) -> str | None:
    """None when the signature is good, else why not (for the report)."""
    try:
        text = sig_text.decode("ascii").strip()
    except UnicodeDecodeError:
        return "the signature file is not a session-player signature"
    if not text.startswith(SIG_PREFIX.strip()):
        return "the signature file is not a session-player signature"
    expected = sign(key, playlist_bytes, file_hashes).strip()
    if not hmac.compare_digest(text.encode(), expected.encode()):
        return "the signature does not match: the playlist or one of its files was changed after signing"
    return None
