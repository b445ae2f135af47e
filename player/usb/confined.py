"""The root side of a USB import: hold the library, let the unprivileged child do the reading, check, commit.

`usb-run` mounts the stick and calls `import_confined`. It takes the library lock and
keeps it while the child (`player.usb.child`, started by `sandbox.run_child` as the service
user with no capabilities) scans the stick, parses and probes, copies into a staging folder
and answers. The parent then checks, before acting on anything: the answer is protocol-1
JSON of the expected shape (`answer.parse_answer`), the child really was unprivileged
(`answer.identity_problem`, from its own /proc/self/status), and the staging folder it names
is a real folder of the library, owned by the service user, holding the manifest and every
accepted playlist. Only then does it commit (or defer, while a session runs). A child that
crashed, hung, was stopped or answered garbage leaves the library as it was: whatever it
staged is removed, the journal and the stick's import report say what happened.
"""

from __future__ import annotations

import logging
import os
import pickle
import stat
from collections.abc import Callable
from pathlib import Path

from player.config import Config
from player.errors import ImportRefused
from player.playlist.library import MANIFEST
from player.usb import library
from player.usb.answer import Answer, BadAnswer, identity_problem, parse_answer
from player.usb.importer import commit_staged, new_report
from player.usb.plan import printable, printable_tree
from player.usb.sandbox import Account, Limits, Spawn, holds_setpcap, run_child
from player.usb.status import StatusReporter
from player.usb.stick import STICK_DIR

log = logging.getLogger(__name__)


def _staging_problem(lib: Path, name: str, accepted: list[str], uid: int) -> str | None:
    """Why the staging folder `name` the child named is not one the parent may commit, or None."""
    try:
        st = os.lstat(lib / name)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
            return f"{name} is not a folder of the service user's"
        for rel in [MANIFEST] + [a.removeprefix("playlists/") for a in accepted]:
            try:
                if not stat.S_ISREG(os.lstat(lib / name / rel).st_mode):
                    return f"{name}/{rel} is not a plain file"
            except FileNotFoundError:
                return f"{name}/{rel} is missing"
    except OSError as exc:
        return f"its staging folder cannot be used: {exc}"
    return None


def _failed(report: dict, problem: str, status: StatusReporter) -> dict:
    """The report of an import whose checker failed: nothing imported, and why, in plain words."""
    reason = f"the check of the stick failed: {problem}; nothing was imported"
    report.update(summary=f"nothing imported; library unchanged ({reason})",
                  refusals=[{"subject": STICK_DIR, "reason": reason}])
    log.error("USB import from %s: %s; the library is unchanged", report["source"], printable(problem))
    status.stage("failed", report["summary"])
    return printable_tree(report)  # type: ignore[return-value]


def _checked(outcome_answer: bytes, failure: str | None, account: Account | None,
             lib: Path) -> tuple[Answer | None, str | None]:
    """The child's answer once every check passed, else why not."""
    if failure is not None:
        return None, failure
    try:
        answer = parse_answer(outcome_answer)
    except BadAnswer as exc:
        return None, f"its answer is not a result ({exc})"
    if account is not None:   # root made it: that user, no groups, and no bounding set when root could empty it
        uid, gid, groups, bounding = account.uid, account.gid, (), holds_setpcap()
    else:                     # not root: the child is this user, with this user's groups
        uid, gid, groups, bounding = os.getuid(), os.getgid(), os.getgroups(), False
    why = identity_problem(answer.identity, uid, gid, groups=groups, empty_bounding=bounding)
    if why:
        return None, f"it was not unprivileged: {why}"
    if answer.staging is not None:
        assert answer.report is not None
        why = _staging_problem(lib, answer.staging, answer.report["accepted"], uid)
        if why:
            return None, why
    return answer, None


def job_for(root: Path, config: Config, lib: Path) -> bytes:
    """What the child reads on stdin: the mount point, the (locked) library folder, the config."""
    return pickle.dumps({"root": str(root), "lib": str(lib), "config": config})


def import_confined(root: Path, config: Config, *, account: Account | None, limits: Limits | None = None,
                    spawn: Spawn | None = None, status: StatusReporter | None = None,
                    session_active: Callable[[], bool] | None = None) -> dict:
    """Import from the stick mounted at `root` through the unprivileged child; returns the import report.

    Args:
        account: the service user the child becomes (None: stay this user, only when not root).
        limits: the child's limits (default `Limits` with the file size limit from usb.max_file_bytes).
        spawn: how the child is started (default `sandbox.exec_child()`; tests give fake children).
        session_active: asked just before the swap (default `library.session_is_active`).

    Raises:
        ImportRefused: the child could not read the stick (its error; the library is unchanged).
    """
    limits = limits or Limits(file_bytes=config.usb.max_file_bytes + 2**20)
    status = status or StatusReporter(config.data_dir)
    report = new_report(config, root, dry_run=False)
    with library.locked(config.data_dir) as lib:
        outcome = run_child(job_for(root, config, lib), account, limits, spawn)
        for line in outcome.stderr.splitlines()[-20:]:
            log.info("checker: %s", printable(line))
        answer, problem = _checked(outcome.answer, outcome.failure, account, lib)
        if answer is None or answer.error is not None:
            library.clean(lib)   # whatever it staged goes: the library stays as it was
        if answer is None:
            return _failed(report, str(problem), status)
        if answer.error is not None:
            raise ImportRefused(f"import from {root} failed: {answer.error}; the library is unchanged")
        assert answer.report is not None
        report.update(answer.report)
        if answer.staging is None:
            return printable_tree(report)  # type: ignore[return-value]
        active = session_active or (lambda: library.session_is_active(config))
        return commit_staged(lib, lib / answer.staging, report, active, status)
