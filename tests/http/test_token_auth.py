"""The token file, the login cookie and the failure limit (pure parts, no server)."""

from __future__ import annotations

import argparse
import stat

import pytest

from player.commands import web_token
from player.errors import ConfigInvalid
from player.http.auth import Authenticator, FailureLimiter, Verdict
from player.http.token import cookie_value, load_or_create_token


def test_token_is_created_once_with_mode_0600(tmp_path):
    path = tmp_path / "sub" / "web-token"
    first = load_or_create_token(path)
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token(path) == first
    assert load_or_create_token(tmp_path / "other") != first


def test_unusable_token_file_is_refused_with_a_fix(tmp_path):
    path = tmp_path / "web-token"
    path.write_text("short\n")
    with pytest.raises(ConfigInvalid, match="delete the file"):
        load_or_create_token(path)


def test_web_token_command_creates_and_prints(tmp_path, capsys):
    conf = tmp_path / "player.yaml"
    conf.write_text(f"data_dir: {tmp_path / 'data'}\n")
    assert web_token.run(argparse.Namespace(config=str(conf), path=False)) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == (tmp_path / "data" / "web-token").read_text().strip()
    assert web_token.run(argparse.Namespace(config=str(conf), path=False)) == 0
    assert capsys.readouterr().out.strip() == printed
    assert web_token.run(argparse.Namespace(config=str(conf), path=True)) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "data" / "web-token")


def test_web_token_command_honours_token_file(tmp_path, capsys):
    conf = tmp_path / "player.yaml"
    conf.write_text(f"data_dir: {tmp_path / 'data'}\nweb:\n  token_file: {tmp_path / 'secret'}\n")
    assert web_token.run(argparse.Namespace(config=str(conf), path=False)) == 0
    assert capsys.readouterr().out.strip() == (tmp_path / "secret").read_text().strip()
    assert not (tmp_path / "data" / "web-token").exists()


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_blocks_after_max_failures_and_forgives_after_the_window():
    clock = FakeTime()
    limiter = FailureLimiter(3, 60.0, clock=clock)
    for _ in range(3):
        assert not limiter.is_limited("a")
        limiter.record_failure("a")
        clock.now += 1
    assert limiter.is_limited("a")
    assert not limiter.is_limited("b")
    assert 0 < limiter.retry_after_s("a") <= 60
    clock.now += 58  # the first failure is now 60 s old
    assert not limiter.is_limited("a")
    assert limiter.retry_after_s("a") == 0


def test_authenticator_verdicts():
    auth = Authenticator("t" * 32, FailureLimiter(2, 60.0, clock=FakeTime()))
    assert auth.check("x") is Verdict.MISSING
    assert auth.check("x", bearer="t" * 32) is Verdict.OK
    assert auth.check("x", cookie=cookie_value("t" * 32)) is Verdict.OK
    assert auth.check("x", token=" " + "t" * 32 + "\n") is Verdict.OK
    assert auth.check("x", cookie="t" * 32) is Verdict.WRONG  # the token itself is not a cookie
    assert auth.check("x", bearer="") is Verdict.WRONG
    assert auth.check("x", bearer="t" * 32) is Verdict.LIMITED
    assert auth.check("y", bearer="t" * 32) is Verdict.OK
    assert auth.check("y") is Verdict.MISSING  # missing credentials never count


def test_cookie_differs_per_token():
    assert cookie_value("a" * 20) != cookie_value("b" * 20)
    assert "a" * 20 not in cookie_value("a" * 20)


def test_web_token_through_the_cli(tmp_path, capsys):
    from player.cli import main

    conf = tmp_path / "player.yaml"
    conf.write_text(f"data_dir: {tmp_path / 'data'}\n")
    assert main(["web-token", "--config", str(conf)]) == 0
    assert capsys.readouterr().out.strip() == (tmp_path / "data" / "web-token").read_text().strip()
