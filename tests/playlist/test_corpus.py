"""A corpus of broken (and merely doubtful) playlists, each pinned to its exact diagnostics.

Every file in corpus/ ends with ``# expect: LINE: error|warning: message`` lines (a
message ending in ``...`` is matched as a prefix: mutagen's own wording may vary). The
file is checked inside the `clinic` folder, so its tracks resolve against real audio.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from player.errors import PlaylistInvalid
from player.playlist.validate import check_playlist, load_playlist

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.yaml"))


def _expected(path: Path) -> list[str]:
    return [line.removeprefix("# expect: ") for line in path.read_text().splitlines() if line.startswith("# expect: ")]


def _matches(actual: str, expected: str) -> bool:
    return actual.startswith(expected[:-3]) if expected.endswith("...") else actual == expected


def test_corpus_is_big_and_every_file_has_expectations():
    assert len(FILES) >= 45
    assert all(_expected(f) for f in FILES)


@pytest.mark.parametrize("source", FILES, ids=[f.stem for f in FILES])
def test_each_corpus_file_gives_its_exact_diagnostics(source, clinic):
    path = clinic / source.name
    shutil.copyfile(source, path)
    diagnostics = check_playlist(path)
    actual = [f"{d.line}: {d.severity}: {d.message}" for d in diagnostics]
    expected = _expected(source)
    assert len(actual) == len(expected), "\n".join(actual)
    for got, want in zip(actual, expected, strict=True):
        assert _matches(got, want), f"\n got: {got}\nwant: {want}"
    for d in diagnostics:
        assert str(d).startswith(f"{path}:{d.line}: {d.severity}: ")
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        with pytest.raises(PlaylistInvalid) as info:
            load_playlist(path)
        assert info.value.diagnostics == diagnostics
        assert str(errors[0]) in str(info.value)
    else:
        assert load_playlist(path).warnings == tuple(diagnostics)
