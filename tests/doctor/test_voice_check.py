"""The doctor's voice-scan check: the optional extra present or absent, and a model that does not load."""

from __future__ import annotations

from dataclasses import replace

import pytest

from player.config import LibraryConfig
from player.doctor.checks import check_voice_scan
from player.doctor.system import System
from tests.doctor.fake_system import FakeSystem
from tests.doctor.test_checks import chair  # noqa: F401 - the fixture


def with_mode(ctx, mode: str):
    return replace(ctx, config=replace(ctx.config, library=LibraryConfig(voice_scan=mode)))


def test_present_and_loading_passes(chair) -> None:  # noqa: F811
    result = check_voice_scan(chair, FakeSystem())
    assert result.ok and result.detail.startswith("present: onnxruntime 1.16.3") and result.fix == ""


def test_absent_passes_with_advice_where_voices_are_warnings_and_fails_where_they_are_errors(chair) -> None:  # noqa: F811
    absent = FakeSystem(voice={"onnxruntime": None, "error": "onnxruntime is not installed"})
    warn = check_voice_scan(chair, absent)
    assert warn.ok and warn.detail.startswith("absent:") and "could not check" in warn.detail
    assert "onnxruntime" in warn.fix
    strict = check_voice_scan(with_mode(chair, "error"), absent)
    assert not strict.ok and "every playlist is refused" in strict.detail


def test_a_model_that_does_not_load_fails(chair) -> None:  # noqa: F811
    broken = FakeSystem(voice={"onnxruntime": "1.16.3", "error": "the voice model silero_vad.onnx cannot be loaded"})
    result = check_voice_scan(chair, broken)
    assert not result.ok and "cannot be loaded" in result.detail


def test_off_is_not_asked(chair) -> None:  # noqa: F811
    class Refusing(FakeSystem):
        def voice_scan(self) -> dict:
            raise AssertionError("asked although off")
    assert check_voice_scan(with_mode(chair, "off"), Refusing()).ok


def test_the_real_machine_answers() -> None:
    found = System().voice_scan()
    try:
        import onnxruntime
    except ImportError:
        assert found == {"onnxruntime": None, "error": "onnxruntime is not installed"}
        pytest.skip("the voice extra (onnxruntime) did not install on this machine")
    assert found == {"onnxruntime": onnxruntime.__version__, "error": None}
