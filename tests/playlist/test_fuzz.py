"""Fuzzing: whatever a USB stick carries, validation answers with diagnostics, never a crash.

Random playlist-shaped structures (dumped as YAML) and random or mutated text go through
`check_playlist` (must return diagnostics), `load_playlist` (must return a Playlist or
raise PlaylistInvalid) and, for valid ones, `plan_session`. Sizes are bounded so the
suite stays fast and small in memory (an unbounded strategy once ate 24 GB here).
"""

from __future__ import annotations

import itertools

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.errors import PlaylistInvalid
from player.playlist.model import Diagnostic, Playlist
from player.playlist.parse import PHASE_KEYS, TOP_KEYS, TRACK_KEYS
from player.playlist.plan import plan_session
from player.playlist.validate import check_playlist, load_playlist
from tests.support.audio_files import make_clinic

STRUCTURE_EXAMPLES = 300
TEXT_EXAMPLES = 200
MUTATION_EXAMPLES = 200
FUZZ_CASES = STRUCTURE_EXAMPLES + TEXT_EXAMPLES + MUTATION_EXAMPLES  # reported in the closing note

_counter = itertools.count()

FILES = ["music/a.flac", "music/b.flac", "music/*", "music/*.flac", "music/notes.txt", "music/broken.flac",
         "music/tiny.flac", "linked/escape.flac", "linked/outdir/*", "../elsewhere/x.flac", "/etc/passwd",
         "music", "", "music/[", "**/*.wav", "music\\a.flac", "~/x.flac"]
DURATIONS = ["10m", "30s", "1:30", "1h5m", "90", 0, -1, 1.5, 10**400, "1e400", float("inf"), "abc", True, None,
             "20h", "0:00:01", "-5s", []]
scalars = st.one_of(
    st.sampled_from(FILES), st.sampled_from(DURATIONS), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=12), st.booleans(), st.none(), st.sampled_from(["loop", "silence", "peak", "-2dB", "+40dB"]),
)
keys = st.one_of(st.sampled_from(sorted(set(TOP_KEYS + PHASE_KEYS + TRACK_KEYS))), st.text(max_size=6))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=5)),
                      max_leaves=25)
tracks = st.lists(st.one_of(st.sampled_from(FILES),
                            st.fixed_dictionaries({"file": st.sampled_from(FILES)},
                                                  optional={"gain": scalars, "fil": scalars})), max_size=4)
phases = st.lists(st.fixed_dictionaries(
    {"name": st.one_of(st.sampled_from(["settling", "onset", "peak", "Peak", "recovery"]), scalars)},
    optional={"duration": st.sampled_from(DURATIONS), "tracks": st.one_of(tracks, values),
              "crossfade": st.sampled_from(DURATIONS), "fade_in": st.sampled_from(DURATIONS),
              "fade_out": st.sampled_from(DURATIONS), "on_short": scalars, "finish_track": scalars,
              "extra": values}), max_size=4)
playlists = st.one_of(
    st.fixed_dictionaries({"name": scalars, "phases": st.one_of(phases, values)},
                          optional={"crossfade": st.sampled_from(DURATIONS), "crosfade": scalars}),
    values,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_clinic(tmp_path_factory.mktemp("fuzz"))


def _exercise(folder, text: str) -> None:
    path = folder / f"fuzz-{next(_counter)}.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        diagnostics = check_playlist(path)
        assert all(isinstance(d, Diagnostic) and d.line >= 1 for d in diagnostics)
        try:
            playlist = load_playlist(path)
        except PlaylistInvalid as exc:
            assert any(d.severity == "error" for d in exc.diagnostics)
            return
        assert isinstance(playlist, Playlist)
        assert not any(d.severity == "error" for d in diagnostics)
        plan = plan_session(playlist)
        assert plan.total_s >= playlist.total_s - 1e-6
    finally:
        path.unlink()


def _fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@_fuzz(STRUCTURE_EXAMPLES)
@given(playlists)
def test_random_structures_never_crash(folder, data):
    _exercise(folder, yaml.safe_dump(data, allow_unicode=True))


@_fuzz(TEXT_EXAMPLES)
@given(st.text(max_size=400))
def test_random_text_never_crashes(folder, text):
    _exercise(folder, text)


VALID = """name: Fuzz base
crossfade: 4s
phases:
  - name: settling
    duration: 1m
    fade_in: 10s
    tracks: [music/a.flac, music/b.flac]
  - name: peak
    duration: 2m
    on_short: silence
    tracks:
      - file: music/c.wav
        gain: -2dB
"""


@_fuzz(MUTATION_EXAMPLES)
@given(st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 3),
                          st.text(alphabet=" \t\n:-[]{}&*!|>'\"#%@`,?0123456789abcxyz", max_size=3)),
                max_size=6))
def test_mutated_valid_playlists_never_crash(folder, edits):
    text = VALID
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut:]
    _exercise(folder, text)
