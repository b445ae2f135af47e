"""Keep OpenSSL out of the daemon's process when nothing in it speaks TLS: 7.7 MB of its memory.

The daemon serves the staff page over plain HTTP (docs/security.md: TLS, where a clinic wants
it, is a proxy's job) and hashes only small things: the loudness cache's keys (BLAKE2, always
built into Python) and the login cookie's HMAC-SHA256. Yet asyncio and aiohttp import `ssl`
whenever it exists, aiohttp builds two TLS contexts as it is imported (reading the system's
certificate store), and `hashlib` loads libcrypto. With the web page on, that is 7.7 MB of
resident memory (VmRSS 70.9 -> 63.2 MB measured on the development machine, 4.3 MB of it
libcrypto's and libssl's pages mapped from disk; a quarter of what the daemon held over a bare
libVLC player). Each of them works on a Python built without OpenSSL:
asyncio and aiohttp go without TLS, `hashlib` and `hmac` use Python's built-in SHA-2. So the
daemon's process is made one, the way Python itself makes an import fail: before anything
imports them, `sys.modules` maps the OpenSSL modules to None.

OpenSSL stays when the nursing station's broker is reached over TLS (``mqtt.tls``), and in
every other command: the USB import hashes gigabytes, where OpenSSL's SHA-256 is faster.
"""

from __future__ import annotations

import sys

from player.config import Config

#: Python's two modules on OpenSSL: TLS, and hashlib's fast hashes (libcrypto).
OPENSSL_MODULES = ("ssl", "_ssl", "_hashlib")


def leave_out_openssl(config: Config) -> bool:
    """Make importing OpenSSL fail in this process, unless `config` needs TLS; True when left out.

    Call it before anything imports `hashlib`, `asyncio` or aiohttp: once OpenSSL is loaded it
    stays, and nothing is saved (then False, and nothing is changed).
    """
    if config.mqtt.tls is not None or any(sys.modules.get(name) is not None for name in OPENSSL_MODULES):
        return False
    for name in OPENSSL_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]
    return True
