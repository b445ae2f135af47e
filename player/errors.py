"""The project's exceptions: few, named `<Area><Problem>`, each also the builtin it resembles.

Callers catch `PlayerError` to turn any of them into a clear message (the CLI prints
``session-player: error: <message>`` and exits 1) instead of a traceback.
"""

from __future__ import annotations


class PlayerError(Exception):
    """Base of every error the player raises on purpose."""


class PlaylistInvalid(PlayerError, ValueError):
    """A playlist failed validation; `diagnostics` holds every `FILE:LINE: error: ...`."""

    def __init__(self, message: str, diagnostics: list | None = None) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics or [])


class ConfigInvalid(PlayerError, ValueError):
    """The config file has errors; `errors` lists each as ``section.key: message``."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])


class AudioFailed(PlayerError, RuntimeError):
    """The audio device or libVLC could not do what was asked."""


class SessionRefused(PlayerError, RuntimeError):
    """A control that the session's current state does not allow; nothing was changed."""


class DaemonUnreachable(PlayerError, ConnectionError):
    """No daemon answers on the control socket."""


class ImportRefused(PlayerError, ValueError):
    """A USB import (or part of it) was refused as unsafe or invalid."""


class HardwareUnavailable(PlayerError, OSError):
    """A GPIO pin factory or pin cannot be used (no Pi, missing library, pin busy)."""


class PlaylistNotFound(PlayerError, LookupError):
    """No playlist of that name in the imported library (or the name is not a plain name)."""


class SessionNotFound(PlayerError, LookupError):
    """No recorded session has that id (or the id is not a valid session id)."""


class BluetoothFailed(PlayerError, RuntimeError):
    """BlueZ or BlueALSA could not do what was asked (not running, refused, no adapter, no such device)."""
