"""The demo library: deterministic, calm (quiet, click-free edges), idempotent, every format."""

from __future__ import annotations

import numpy as np
import pytest

from player.demo_audio import DEMO_TRACKS, PEAK_LEVEL, SAMPLE_RATE, generate_demo_library, synthesize
from player.playlist.probe import probe_audio


def test_library_mixes_formats_and_lasts_several_minutes():
    assert {t.relative.rsplit(".", 1)[1] for t in DEMO_TRACKS} == {"flac", "ogg", "mp3", "wav"}
    assert 300 <= sum(t.seconds for t in DEMO_TRACKS) <= 600
    assert any(t.seconds >= 120 and t.relative.startswith("peak/") for t in DEMO_TRACKS)


@pytest.mark.parametrize("spec", DEMO_TRACKS, ids=[t.relative for t in DEMO_TRACKS])
def test_samples_are_deterministic_quiet_and_start_and_end_in_silence(spec):
    block = synthesize(spec, 0, SAMPLE_RATE * 4)
    assert block.shape == (SAMPLE_RATE * 4, 2) and block.dtype == np.float32
    assert np.array_equal(block, synthesize(spec, 0, SAMPLE_RATE * 4))
    assert np.abs(block).max() <= PEAK_LEVEL
    assert np.abs(block[:100]).max() < 1e-4
    end = int(spec.seconds * SAMPLE_RATE)
    assert np.abs(synthesize(spec, end - 100, 100)).max() < 1e-3


def test_blocks_join_without_a_jump():
    spec = DEMO_TRACKS[0]
    whole = synthesize(spec, SAMPLE_RATE * 10, 2000)
    joined = np.concatenate([synthesize(spec, SAMPLE_RATE * 10, 1000), synthesize(spec, SAMPLE_RATE * 10 + 1000, 1000)])
    assert np.abs(whole - joined).max() < 1e-3


def test_generated_files_probe_and_are_kept_on_a_second_run(shipped, pytestconfig):
    folder = shipped[0].parent / "demo-audio"
    paths = generate_demo_library(folder)
    assert [p.relative_to(folder).as_posix() for p in paths] == [t.relative for t in DEMO_TRACKS]
    stamps = [p.stat().st_mtime_ns for p in paths]
    for spec, path in zip(DEMO_TRACKS, paths, strict=True):
        info = probe_audio(path)
        assert info.duration_s == pytest.approx(spec.seconds, abs=0.1) and info.sample_rate == SAMPLE_RATE
    assert [p.stat().st_mtime_ns for p in generate_demo_library(folder)] == stamps
    assert not list(folder.rglob(".*.partial"))
