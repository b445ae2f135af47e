"""One check's outcome, as `doctor --json` prints it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CheckResult:
    """``check`` (a short name), ``ok``, ``detail`` (what was found), ``fix`` (what to do; "" when ok)."""

    check: str
    ok: bool
    detail: str
    fix: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def passed(check: str, detail: str, note: str = "") -> CheckResult:
    """A pass; `note` is advice that does not make it fail (shown as its fix)."""
    return CheckResult(check, True, detail, note)


def failed(check: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(check, False, detail, fix)
