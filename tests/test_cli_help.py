"""Every subcommand has a working --help; the CLI reports versions and usage errors properly."""

from __future__ import annotations

import subprocess
import sys

import pytest

from player import __version__
from player.cli import command_specs, main

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
