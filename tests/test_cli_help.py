"""Every subcommand has a working --help; the CLI reports versions and usage errors properly."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from player import __version__, commands
from player.cli import COMMANDS, command_specs, main

NAMES = [spec.NAME for spec in command_specs()]


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"session-player {__version__}"


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "commands:" in capsys.readouterr().err


@pytest.mark.parametrize("name", NAMES)
def test_each_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: session-player {name}" in out
    assert "--config FILE" in out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["fly"])
    assert info.value.code == 2


def test_console_script_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "player.cli", "--help"], capture_output=True, text=True, check=True)
    for name in NAMES:
        assert name in out.stdout


def test_player_errors_become_one_line(tmp_path, capsys):
    assert main(["config", "--config", str(tmp_path / "missing.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("session-player: error: ") and "Traceback" not in err


def test_the_command_table_names_each_module_s_own_commands():
    """`COMMANDS` is written out so a run imports one module: it must say what the modules say."""
    found = {}
    for module in dict.fromkeys(COMMANDS.values()):
        loaded = importlib.import_module(f"player.commands.{module}")
        for spec in getattr(loaded, "SUBCOMMANDS", None) or [loaded]:
            found[spec.NAME] = module
    assert found == COMMANDS
    assert list(found) == list(COMMANDS)            # and in the order --help lists them
    helpers = ("__init__", "infusion_text", "music_prefs_options")     # modules with no command of their own
    on_disk = sorted(p.stem for p in Path(commands.__file__).parent.glob("*.py") if p.stem not in helpers)
    assert on_disk == sorted(set(COMMANDS.values()))


def test_the_daemon_s_command_line_loads_no_other_command_s_code():
    """`session-player run` lives for months: the USB importer, the doctor, the reports and the
    Bluetooth code (with asyncio) are other commands' code and stayed resident in it (about
    5 MB of RSS with the page off, docs/technician.md). Parsing `run` imports `run` alone."""
    probe = ("import sys; from player.cli import build_parser; "
             "args = build_parser(only='run').parse_args(['run', '--config', '/nonexistent.yaml']); "
             "assert args.run.__module__ == 'player.commands.run', args.run; "
             "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    loaded = [m for m in out if m.startswith("player.commands.") or m == "asyncio"
              or m.split(".")[:2] in (["player", "doctor"], ["player", "bluetooth"], ["player", "reports"])
              or m in ("player.usb.importer", "player.usb.runner", "player.usb.export")]
    assert loaded == ["player.commands.run"]
