"""Check a config file and show the values in force.

Exits 0 when the config is valid (printing every key and its value), 1 with every error
(each as FILE:LINE: section.key: message) when it is not. --defaults prints the schema:
each key, its default and what it does.
"""

from __future__ import annotations

import argparse
from dataclasses import fields, is_dataclass

from player.config import describe_schema, load_config
from player.core.cap import cap_db, db_to_dba, dba_to_db

NAME = "config"
HELP = "check the config file and print the values in force"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--defaults", action="store_true", help="print every key, its default and meaning")


def _flatten(obj: object, prefix: str = "") -> list[tuple[str, object]]:
    rows = []
    for f in fields(obj):  # type: ignore[arg-type]
        if f.name == "source":
            continue
        value = getattr(obj, f.name)
        if is_dataclass(value):
            rows.extend(_flatten(value, f"{prefix}{f.name}."))
        else:
            rows.append((f"{prefix}{f.name}", value))
    return rows


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def run(args: argparse.Namespace) -> int:
    if args.defaults:
        for key, default, doc in describe_schema():
            print(f"{key:28} {_show(default):28} {doc}")
        return 0
    config = load_config(args.config)
    print(f"# {config.source}: valid")
    for key, value in _flatten(config):
        print(f"{key}: {_show(value)}")
    v = config.volume
    if v.calibration_dba_at_0db is not None:
        cap = cap_db(v)
        print(f"# the cap in force is {cap:g} dB: the lower of volume.max_db ({v.max_db:g} dB) and max_dba - "
              f"calibration_dba_at_0db ({v.max_dba:g} - {v.calibration_dba_at_0db:g} = "
              f"{dba_to_db(v.max_dba, v.calibration_dba_at_0db):g} dB); {cap:g} dB gives at most "
              f"{db_to_dba(cap, v.calibration_dba_at_0db):g} dBA at the ear")
    return 0
