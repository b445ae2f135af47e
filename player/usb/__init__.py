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

from player.playlist.library import current_library
from player.usb.export import export_reports
from player.usb.importer import import_stick, write_stick_report
from player.usb.library import apply_pending, generations, recover_library, rollback, session_is_active
from player.usb.pending import PendingApplier
from player.usb.status import read_status

__all__ = ["PendingApplier", "apply_pending", "current_library", "export_reports", "generations", "import_stick",
           "read_status", "recover_library", "rollback", "session_is_active", "write_stick_report"]
