"""What the unprivileged checker of a stick may answer, and the root parent's checks of it (pure).

The child (`player.usb.child`) parses the stick's playlists and probes its audio as the
service user with no capabilities; it answers with one JSON object on a pipe. The parent
is root, so it believes nothing it did not check: `parse_answer` takes the bytes and either
returns the few fields the parent acts on, each of the expected type, or says why the answer
is not one. Unknown keys are dropped; strings are shown through `printable` anyway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

PROTOCOL = 1
#: The staging folder the child may name: `library.new_staging`'s pattern, nothing else.
STAGING_NAME = re.compile(r"\.staging-[0-9]{1,10}-[0-9a-f]{8}")
#: The lines of /proc/self/status that say who a process is and what it may do.
IDENTITY_FIELDS = ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")


class BadAnswer(ValueError):
    """The child's answer is not a result the parent may act on."""


@dataclass(frozen=True)
class Answer:
    """A checked answer: the identity the child ran with, and either its report or its error."""

    identity: dict
    report: dict | None
    error: str | None
    staging: str | None


def identity_of(proc_status: str) -> dict:
    """The `IDENTITY_FIELDS` of a /proc/<pid>/status text, as the kernel wrote them (strings)."""
    found = {}
    for line in proc_status.splitlines():
        key, sep, value = line.partition(":")
        if sep and key in IDENTITY_FIELDS:
            found[key] = " ".join(value.split())
    return found


def identity_problem(identity: Mapping, uid: int, gid: int, *, groups: Collection[int] | None = (),
                     empty_bounding: bool) -> str | None:
    """Why a child with `identity` must not be trusted to have read the stick unprivileged, or None.

    Every uid (real, effective, saved, file system) must be `uid`, every gid `gid`, the
    supplementary groups exactly `groups` (none for a child root made; a parent that is not
    root cannot drop its own; None: not checked), no capability effective, permitted,
    inheritable or ambient, and no_new_privs set. With `empty_bounding` (the parent held
    CAP_SETPCAP, so it could drop the bounding set before setuid) the bounding set must be
    empty too; without it, no_new_privs and no uid 0 already mean nothing can raise a
    capability back.
    """
    try:
        uids = [int(v) for v in str(identity["Uid"]).split()]
        gids = [int(v) for v in str(identity["Gid"]).split()]
        held_groups = {int(g) for g in str(identity.get("Groups", "")).split()}
        caps = {k: int(str(identity[k]), 16) for k in ("CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd")}
        nnp = str(identity["NoNewPrivs"]).strip()
    except (KeyError, ValueError, TypeError) as exc:
        return f"its identity could not be read ({exc!r})"
    if len(uids) != 4 or set(uids) != {uid}:
        return f"it ran as uid {' '.join(map(str, uids))}, not {uid}"
    if len(gids) != 4 or set(gids) != {gid}:
        return f"it ran as gid {' '.join(map(str, gids))}, not {gid}"
    if groups is not None and held_groups != set(groups):
        return f"it had supplementary groups {' '.join(map(str, sorted(held_groups))) or 'none'}"
    if not empty_bounding:
        del caps["CapBnd"]
    held = [f"{k}={v:x}" for k, v in caps.items() if v]
    if held:
        return f"it held capabilities ({', '.join(held)})"
    if nnp != "1":
        return "no_new_privs was not set"
    return None


def _str_list(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadAnswer(f"{what} is not a list of strings")
    return value


def _pairs(value: object, what: str, second: str) -> list[dict]:
    if not isinstance(value, list):
        raise BadAnswer(f"{what} is not a list")
    out = []
    for item in value:
        if not (isinstance(item, dict) and isinstance(item.get("subject"), str)
                and isinstance(item.get(second), str)):
            raise BadAnswer(f"{what} holds an item that is not {{subject, {second}}}")
        out.append({"subject": item["subject"], second: item[second]})
    return out


def _count(value: object, what: str) -> int:
    if type(value) is not int or value < 0:
        raise BadAnswer(f"{what} is not a count")
    return value


def _report(raw: object) -> tuple[dict, str | None]:
    """The report fields the parent uses, checked; and the staging folder's name when staged."""
    if not isinstance(raw, dict):
        raise BadAnswer("the report is not an object")
    result = raw.get("result")
    if result not in ("staged", "unchanged"):
        raise BadAnswer(f"result {result!r} is neither 'staged' nor 'unchanged'")
    if not isinstance(raw.get("summary"), str):
        raise BadAnswer("the summary is not text")
    report = {"result": result, "summary": raw["summary"],
              "accepted": _str_list(raw.get("accepted"), "accepted"),
              "refusals": _pairs(raw.get("refusals"), "refusals", "reason"),
              "warnings": _pairs(raw.get("warnings"), "warnings", "warning"),
              "files": _count(raw.get("files"), "files"), "bytes": _count(raw.get("bytes"), "bytes")}
    levels = raw.get("levels", {})
    if not isinstance(levels, dict):
        raise BadAnswer("levels is not an object")
    report["levels"] = {str(k): _str_list(v, "a level note") for k, v in levels.items()}
    if not all(a.startswith("playlists/") and "/" not in a[len("playlists/"):] for a in report["accepted"]):
        raise BadAnswer("an accepted playlist is not a name in playlists/")
    staging = raw.get("staging")
    if result == "staged":
        if not isinstance(staging, str) or not STAGING_NAME.fullmatch(staging):
            raise BadAnswer(f"staging {staging!r} is not a staging folder's name")
        if not report["accepted"]:
            raise BadAnswer("staged with no accepted playlist")
    elif staging is not None or report["accepted"]:
        raise BadAnswer("unchanged, yet it names a staging folder or accepted playlists")
    return report, staging


def parse_answer(data: bytes) -> Answer:
    """The checked answer in `data` (the child's whole output).

    Raises:
        BadAnswer: not JSON, not protocol 1, no identity, neither a valid report nor an error.
    """
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadAnswer(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(raw, dict) or raw.get("protocol") != PROTOCOL:
        raise BadAnswer("not a protocol 1 answer")
    identity = raw.get("identity")
    if not isinstance(identity, dict) or not all(isinstance(identity.get(k), str) for k in IDENTITY_FIELDS):
        raise BadAnswer("no identity")
    if "error" in raw:
        if not isinstance(raw["error"], str) or "report" in raw:
            raise BadAnswer("an error that is not text, or both an error and a report")
        return Answer(identity, None, raw["error"], None)
    report, staging = _report(raw.get("report"))
    return Answer(identity, report, None, staging)
