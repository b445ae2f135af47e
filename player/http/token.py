"""The staff page's access token: one random secret per player, kept in a 0600 file.

The token is created on first use (the first `WebServer.start()` or `session-player
web-token`) so a fresh SD card image never ships a shared secret. The login cookie is not
the token itself but an HMAC of it, so a cookie copied out of a browser does not reveal the
token, and changing the token file logs every browser out.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from player.errors import ConfigInvalid
from player.fsutil import atomic_write_text

log = logging.getLogger(__name__)

TOKEN_BYTES = 24  # 192 bits; 32 URL-safe characters, short enough to type from a printout
MIN_TOKEN_CHARS = 16


def load_or_create_token(path: str | os.PathLike[str]) -> str:
    """Read the token from `path`, creating it (mode 0600, atomically, durably) if missing.

    Raises:
        ConfigInvalid: the file exists but holds something too short to be a safe token, or
            cannot be read.
    """
    path = Path(path)
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        atomic_write_text(path, token + "\n", mode=0o600)
        log.info("created a new web token in %s", path)
        return token
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigInvalid(f"cannot read the web token file {path}: {exc}") from None
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        raise ConfigInvalid(f"the web token in {path} must be one word of at least {MIN_TOKEN_CHARS} characters; "
                            "delete the file to have a new one generated")
    if path.stat().st_mode & 0o077:
        log.warning("web token file %s is readable by other users; chmod 600 it", path)
    return token


def cookie_value(token: str) -> str:
    """What the login cookie holds: derived from the token, useless for the Bearer header."""
    return hmac.new(token.encode("utf-8"), b"session-player staff cookie v1", hashlib.sha256).hexdigest()
