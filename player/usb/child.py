"""The unprivileged side of a USB import: parse, probe, decide and stage; answer in JSON.

Started by `player.usb.sandbox` (``python3 -I``, see `sandbox.CHILD_COMMAND`) after the root parent
mounted the stick, with its groups, gid and uid already the service user's, no capability,
no_new_privs and resource limits. It reads its job (the mount point, the library folder whose
lock the parent holds, the config) from stdin, refuses to run if it still holds any privilege,
runs the import up to a staged generation (`import_stick(..., stage_in=...)`) and writes one
JSON object (`player.usb.answer`) to the pipe that was its stdout. Anything else it prints goes
to stderr, so a stray print from a library cannot corrupt the answer.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import sys
from pathlib import Path

from player.errors import ImportRefused
from player.fsutil import write_all
from player.usb.answer import PROTOCOL, identity_of, identity_problem
from player.usb.importer import import_stick
from player.usb.plan import printable
from player.usb.status import StatusReporter

EXIT_PRIVILEGED = 4


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def main() -> int:
    """Run one job from stdin; the answer goes to the original stdout. Returns the exit code."""
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    root = logging.getLogger()
    for handler in root.handlers[:]:   # none after exec; a forked test child drops pytest's, unclosed
        root.removeHandler(handler)
    logging.basicConfig(handlers=[logging.StreamHandler(open(2, "w", closefd=False))],  # noqa: SIM115
                        level=logging.INFO, format="%(name)s: %(message)s")
    job = pickle.loads(_read_all(0))  # from the root parent, which this process trusts (never the reverse)
    with open("/proc/self/status", encoding="ascii") as f:
        identity = identity_of(f.read())
    uid = os.getuid()
    why = "it runs as root" if uid == 0 else identity_problem(identity, uid, os.getgid(), groups=None,
                                                              empty_bounding=False)
    if why:
        logging.getLogger(__name__).error("refusing to read a stick: %s", why)
        return EXIT_PRIVILEGED
    config = job["config"]
    answer: dict = {"protocol": PROTOCOL, "identity": identity}
    try:
        answer["report"] = import_stick(job["root"], config, status=StatusReporter(config.data_dir),
                                        stage_in=Path(job["lib"]))
    except (ImportRefused, OSError) as exc:
        answer["error"] = printable(str(exc))
    write_all(answer_fd, json.dumps(answer).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
