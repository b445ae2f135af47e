"""Loudness normalization: tags first, else measured (ffmpeg ebur128) once and cached; peak ceiling."""

import json

import pytest
from mutagen.flac import FLAC

from player.audio.loudness import LoudnessLookup, normalization_gain_db, read_tags
from player.cli import main
from player.config import LoudnessConfig
from player.errors import AudioFailed
from tests.audio.signals import broken, pink_noise, sine

CFG = LoudnessConfig()  # -18 LUFS, -1 dBTP


def tag(path, **tags):
    audio = FLAC(path)
    for k, v in tags.items():
        audio[k] = v
    audio.save()
    return path


@pytest.mark.parametrize(("loudness", "peak", "want"), [(-23, -10, 5), (-10, -3, -8), (-30, -4, 3), (-60, -40, 20)])
def test_gain_reaches_target_but_never_pushes_peak_over_ceiling(loudness, peak, want):
    assert normalization_gain_db(loudness, peak, CFG) == pytest.approx(want)


def test_replaygain2_and_r128_tags_are_used(tmp_path):
    rg = tag(sine(tmp_path / "rg.flac", 0.5), replaygain_track_gain="-4.50 dB", replaygain_track_peak="0.5")
    assert read_tags(rg) == pytest.approx((-13.5, -6.0206, "replaygain"), abs=1e-3)
    r128 = tag(sine(tmp_path / "r128.flac", 0.5), r128_track_gain="-1280")
    assert read_tags(r128) == (-18.0, 0.0, "r128")
    assert read_tags(sine(tmp_path / "plain.flac", 0.5)) is None


def test_measures_once_and_caches_by_content(tmp_path):
    quiet = pink_noise(tmp_path / "quiet.flac", 6, rms_dbfs=-30)
    cache = tmp_path / "cache.json"
    first = LoudnessLookup(CFG, cache).analyze(quiet)
    assert first.source == "measured" and -31.5 < first.loudness_lufs < -27.5
    assert first.gain_db == pytest.approx(-18 - first.loudness_lufs)
    assert len(json.loads(cache.read_text())["files"]) == 1
    again = LoudnessLookup(CFG, cache, ffmpeg="/nonexistent/ffmpeg").analyze(quiet)   # from cache only
    assert again == first


def test_broken_file_is_a_clear_error(tmp_path):
    with pytest.raises(AudioFailed, match="cannot measure loudness"):
        LoudnessLookup(CFG).gain_db(broken(tmp_path / "bad.flac"))


def test_analyze_command_prints_loudness_peak_and_gain(tmp_path, capsys):
    hot = sine(tmp_path / "hot.flac", 3, amplitude=0.95)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data_dir: {tmp_path}\n")
    assert main(["analyze", "--config", str(cfg), str(hot)]) == 0
    out = capsys.readouterr().out
    assert "hot.flac" in out and "LUFS" in out and "gain" in out and "(measured)" in out
    assert (tmp_path / "loudness-cache.json").exists()
