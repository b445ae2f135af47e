"""The pure parser on its own: exact diagnostics (line, severity, words) and exact specs.

No files: `parse_playlist_data` on the YAML tree `load_yaml_text` builds, so these run in
milliseconds and pin down what test_validate.py checks through the file system. Each input
puts the offending key on its own line, so a diagnostic at the wrong line fails. Written to
kill the survivors of mutation testing (python -m tests.mutation parse).
"""

from __future__ import annotations

import pytest

from player.playlist.parse import NOT_A_PLAYLIST, Collector, parse_playlist_data, path_problem
from player.yamlsafe import load_yaml_text

HEAD = "name: x\nphases:\n"


def diags(text: str) -> list[tuple[int, str, str]]:
    _, found = parse_playlist_data(load_yaml_text(text), "p.yaml")
    return [(d.line, d.severity, d.message) for d in found]


def spec(text: str):
    parsed, found = parse_playlist_data(load_yaml_text(text), "p.yaml")
    assert [d for d in found if d.severity == "error"] == []
    return parsed


def test_collector_keeps_real_lines_and_lifts_unknown_ones_to_1() -> None:
    out = Collector("p.yaml")
    out.warning(0, "w0")
    out.warning(1, "w1")
    out.error(0, "e0")
    out.error(7, "e7")
    assert [(d.line, d.severity) for d in out.items] == [(1, "warning"), (1, "warning"), (1, "error"), (7, "error")]


def test_a_document_that_is_not_a_mapping_is_refused_at_its_line() -> None:
    assert diags("\n\n- a\n- b\n") == [(3, "error", NOT_A_PLAYLIST)]
    _, found = parse_playlist_data(("a",), "p.yaml")
    assert [(d.line, d.message) for d in found] == [(1, NOT_A_PLAYLIST)]


@pytest.mark.parametrize(("text", "expected"), [
    # a phase without a name
    (HEAD + "  - duration: 1m\n    tracks: [a.flac]\n",
     [(3, "error", "missing required key 'name' in phase 1")]),
    # a name that is not text, on its own line
    (HEAD + "  - duration: 1m\n    name: [x]\n    tracks: [a.flac]\n",
     [(4, "error", "'name' must be text, got a list")]),
    (HEAD + "  - duration: 1m\n    name: '  '\n    tracks: [a.flac]\n",
     [(4, "error", "'name' must not be empty")]),
    # a near-miss name warns at the name's line; a far one is just a name
    (HEAD + "  - duration: 1m\n    name: peek\n    tracks: [a.flac]\n",
     [(4, "warning", "unusual phase name 'peek' (did you mean 'peak'?)")]),
    (HEAD + "  - duration: 1m\n    name: peakxyz\n    tracks: [a.flac]\n", []),
    # 12 h is the longest phase
    (HEAD + "  - name: peak\n    tracks: [a.flac]\n    duration: 12h\n", []),
    (HEAD + "  - name: peak\n    tracks: [a.flac]\n    duration: 12h1s\n",
     [(5, "error", "phase 'peak' lasts 12:00:01; the limit is 12:00:00 (did you mean minutes?)")]),
    # zero crossfade and fades are allowed; a bad one is refused at its line
    (HEAD + "  - name: peak\n    duration: 1m\n    crossfade: 0\n    fade_in: 0\n    fade_out: 0\n"
            "    tracks: [a.flac]\n", []),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks: [a.flac]\n    crossfade: soon\n",
     [(6, "error", "crossfade: cannot read duration 'soon': use 90, 90s, 10m, 1h5m or 1:30:00")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks: [a.flac]\n    fade_in: soon\n",
     [(6, "error", "fade_in: cannot read duration 'soon': use 90, 90s, 10m, 1h5m or 1:30:00")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks: [a.flac]\n    fade_out: -1s\n",
     [(6, "error", "fade_out must be zero or positive, got '-1s'")]),
    # fades as long as the phase: at the fade's line, or the duration's when inherited
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks: [a.flac]\n    fade_out: 1m\n",
     [(6, "error", "fade_out (1:00) is not shorter than phase 'peak' (1:00)")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks: [a.flac]\n    fade_in: 2m\n",
     [(6, "error", "fade_in (2:00) is not shorter than phase 'peak' (1:00)")]),
    ("name: x\ncrossfade: 10s\nphases:\n  - name: peak\n    tracks: [a.flac]\n    duration: 5s\n",
     [(6, "error", "crossfade (0:10) is not shorter than phase 'peak' (0:05)")]),
    # tracks: empty, missing, wrong shape
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks: []\n",
     [(5, "warning", "phase 'peak' has no tracks: it will be silent")]),
    (HEAD + "  - name: peak\n    duration: 1m\n",
     [(3, "warning", "phase 'peak' has no tracks: it will be silent")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks: {a: 1}\n",
     [(5, "error", "'tracks' in phase 'peak' must be a list of files, got a mapping")]),
    # track mappings
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks:\n      - gain: -2dB\n        file: 5\n",
     [(7, "error", "'file' must be a path, got a number (5)")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks:\n      - gain: -2dB\n        file: /abs.flac\n",
     [(7, "error", "track path '/abs.flac' is absolute; write it relative to the playlist's folder")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks:\n      - file: a.flac\n        gain: -60.1\n",
     [(7, "error", "gain -60.1 dB is outside -60..+12 dB")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks:\n      - file: a.flac\n        gain: 12.5dB\n",
     [(7, "error", "gain 12.5 dB is outside -60..+12 dB")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks:\n      - file: a.flac\n        gain: loud\n",
     [(7, "error", "cannot read gain 'loud': use a number of decibels such as -2dB")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    tracks:\n      - gain: 1dB\n",
     [(6, "error", "a track mapping needs 'file'")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    on_short: 5\n    tracks: [a.flac]\n",
     [(5, "error", "on_short must be one of loop, silence, got 5")]),
    (HEAD + "  - name: peak\n    duration: 1m\n    on_short: lop\n    tracks: [a.flac]\n",
     [(5, "error", "on_short must be one of loop, silence, got 'lop' (did you mean 'loop'?)")]),
    # a long value is cut at 80 characters in the message
    ("name: x\nphases: " + "y" * 100 + "\n",
     [(2, "error", "'phases' must be a non-empty list of phases, got text ('" + "y" * 73)]),  # 80 characters of kind
])
def test_exact_diagnostics(text: str, expected: list) -> None:
    assert diags(text) == expected


def test_values_and_lines_in_the_spec() -> None:
    parsed = spec(HEAD + "  - name: peak\n    duration: 1m\n    tracks:\n      - gain: -60\n        file: a.flac\n"
                         "      - file: b.flac\n        gain: 12dB\n      - file: c.flac\n")
    phase = parsed.phases[0]
    assert (phase.line, phase.tracks_line, phase.crossfade_s, phase.fade_in_s, phase.fade_out_s) == (3, 5, 8.0,
                                                                                                    None, None)
    assert [(e.pattern, e.gain_db, e.line) for e in phase.entries] == [("a.flac", -60.0, 7), ("b.flac", 12.0, 8),
                                                                       ("c.flac", 0.0, 10)]


def test_a_single_track_as_text_keeps_its_line() -> None:
    phase = spec(HEAD + "  - name: peak\n    duration: 1m\n    tracks: calm.flac\n").phases[0]
    assert [(e.pattern, e.line) for e in phase.entries] == [("calm.flac", 5)]


def test_a_bad_top_level_crossfade_falls_back_to_the_default() -> None:
    parsed, found = parse_playlist_data(load_yaml_text("name: x\ncrossfade: soon\nphases:\n  - name: peak\n"
                                                       "    duration: 1m\n    tracks: [a.flac]\n"), "p.yaml")
    assert [d.line for d in found] == [2]
    assert parsed.crossfade_s == 8.0


@pytest.mark.parametrize(("path", "problem"), [
    ("  ", "empty track path"),
    ("a\tb.flac", "a track path contains control characters"),
    ("a\x00b.flac", "a track path contains control characters"),
    ("C:music.flac", "track path 'C:music.flac' is absolute; write it relative to the playlist's folder"),
    ("C:", "track path 'C:' is absolute; write it relative to the playlist's folder"),
    ("~/music.flac", "track path '~/music.flac' is absolute; write it relative to the playlist's folder"),
    ("/music.flac", "track path '/music.flac' is absolute; write it relative to the playlist's folder"),
])
def test_path_problems(path: str, problem: str) -> None:
    assert path_problem(path) == problem


@pytest.mark.parametrize("path", ["a", "my track.flac", "ab:c.flac", "music/C:/x.flac", "x~.flac"])
def test_plain_relative_paths_pass(path: str) -> None:
    assert path_problem(path) is None


def test_a_playlist_without_a_name_still_gives_its_phases_and_an_empty_name() -> None:
    parsed, found = parse_playlist_data(load_yaml_text("phases:\n  - name: peak\n    duration: 1m\n"
                                                       "    tracks: [a.flac]\n"), "p.yaml")
    assert [(d.line, d.message) for d in found] == [(1, "missing required key 'name' in the playlist")]
    assert parsed.name == "" and [p.name for p in parsed.phases] == ["peak"]
