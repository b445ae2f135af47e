"""USB sticks: playlists in (validated, hostile-input safe, atomic), reports out.

What the daemon calls:

- `recover_library(data_dir)` at start: removes staging left by a crash mid-import.
- `apply_pending(config)` when a session has ended (and at start when no session resumes):
  makes an import that was deferred during the session the current library. Or, simpler,
  `PendingApplier(controller, config).start()` once (and `.close()` at shutdown): it does
  that on its own thread whenever no session is active.
- `session_is_active(config)`: asks the running daemon over its control socket.
- `current_library(data_dir)`: ``<data_dir>/library/current``, where imported playlists live.
"""

import importlib

# Where each name lives. They are imported on first use (PEP 562), not with the package: the
# daemon needs only `recover_library`, `apply_pending` and `PendingApplier`, and the import
# side (copier, signing, reports for export) would cost it memory it never uses.
_WHERE = {"current_library": "player.playlist.library", "export_reports": "player.usb.export",
          "import_stick": "player.usb.importer", "write_stick_report": "player.usb.importer",
          "apply_pending": "player.usb.library", "generations": "player.usb.library",
          "recover_library": "player.usb.library", "rollback": "player.usb.library",
          "session_is_active": "player.usb.library", "PendingApplier": "player.usb.pending",
          "read_status": "player.usb.status"}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(where), name)
