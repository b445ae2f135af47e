"""ffmpeg's figures the level model needs (issue 22): integrated loudness, true peak and the short-term maximum."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from player.audio.ebur128 import measure
from tests.audio.signals import RATE, pink_noise


def test_steady_noise_has_its_short_term_maximum_at_its_loudness_and_reports_progress(tmp_path: Path) -> None:
    seen = []
    level = measure(pink_noise(tmp_path / "steady.flac", 12.0, -30, seed=5), progress=lambda t, lv: seen.append(lv))
    assert level.short_term_max_lufs == pytest.approx(level.loudness_lufs, abs=0.6)
    assert len(seen) >= 10 and seen[-1].short_term_max_lufs is not None   # running figures, once a second


def test_one_loud_passage_is_the_short_term_maximum(tmp_path: Path) -> None:
    path = pink_noise(tmp_path / "passage.flac", 30.0, -40, seed=6)
    data, _ = sf.read(path)
    data[10 * RATE: 14 * RATE] *= 10 ** (9 / 20)                   # 4 s, 9 dB louder (R128 gates 10 LU below)
    sf.write(path, np.clip(data, -0.99, 0.99), RATE)
    level = measure(path)
    assert level.short_term_max_lufs - level.loudness_lufs >= 4.0   # well above the integrated loudness


def test_a_file_shorter_than_the_3s_window_has_no_short_term_maximum(tmp_path: Path) -> None:
    assert measure(pink_noise(tmp_path / "short.flac", 2.0, -30, seed=7)).short_term_max_lufs is None
