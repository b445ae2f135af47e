"""Finding the files of track entries, case by case on real folders: natural order,
recursive globs, folders named instead of files, near-miss suggestions. Written to kill the
survivors of mutation testing (python -m tests.mutation resolve)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from player.playlist.parse import Collector, EntrySpec
from player.playlist.resolve import is_inside, natural_key, resolve_entry
from tests.support.privileges import run_unprivileged


def resolve(base: Path, pattern: str, out: Collector | None = None) -> tuple[list[str], list[tuple[int, str]]]:
    out = out or Collector("p.yaml")
    found = resolve_entry(base, EntrySpec(pattern, 0.0, 7), out)
    return [f.relative for f in found], [(d.line, d.message) for d in out.items]


def touch(base: Path, *names: str) -> None:
    for name in names:
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_bytes(b"x")


def test_numbers_sort_by_value_and_before_words() -> None:
    assert sorted(["b", "10 calm", "2 calm", "A", "1"], key=natural_key) == ["1", "2 calm", "10 calm", "A", "b"]


def test_is_inside_refuses_a_folder_it_cannot_compare() -> None:
    assert is_inside("/tmp", "relative/folder") is False


def test_double_star_globs_reach_every_depth(tmp_path: Path) -> None:
    touch(tmp_path, "music/a.flac", "music/deep/er/b.flac")
    assert resolve(tmp_path, "music/**/*.flac") == (["music/a.flac", "music/deep/er/b.flac"], [])


@pytest.mark.parametrize("folder", ["music", "MIX"])
def test_a_folder_named_as_a_track_says_how_to_play_it(tmp_path: Path, folder: str) -> None:
    touch(tmp_path, f"{folder}/a.flac")
    assert resolve(tmp_path, f"{folder}/") == (
        [], [(7, f"{folder}/ is a folder; write {folder}/* to play every file in it")])


def test_a_glob_of_only_folders_is_an_error_even_after_other_errors(tmp_path: Path) -> None:
    touch(tmp_path, "sets/one/a.flac", "sets/two/b.flac")
    out = Collector("p.yaml")
    out.error(3, "an earlier problem on another line")
    assert resolve(tmp_path, "sets/*", out) == ([], [(3, "an earlier problem on another line"),
                                                     (7, "sets/* matches only folders, no files")])


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    assert resolve(tmp_path, "nowhere/a.flac") == ([], [(7, "file not found: nowhere/a.flac (folder 'nowhere' "
                                                           "does not exist)")])


@pytest.mark.parametrize(("wrote", "hint"), [
    ("calm.mp3", " (did you mean 'calm.flac'?)"),   # 4 edits away: still suggested
    ("cal.mp3x", ""),                               # 5 edits: too far to guess
])
def test_a_near_miss_is_suggested_from_the_files_beside_it(tmp_path: Path, wrote: str, hint: str) -> None:
    touch(tmp_path, "calm.flac")
    assert resolve(tmp_path, wrote) == ([], [(7, f"file not found: {wrote}{hint}")])


def test_hidden_files_are_never_suggested(tmp_path: Path) -> None:
    touch(tmp_path, "._b.flac")  # macOS metadata beside the music
    assert resolve(tmp_path, "b.flac") == ([], [(7, "file not found: b.flac")])


def test_a_folder_that_cannot_be_listed_gives_no_suggestion() -> None:
    """As an unprivileged user (root lists any folder): the missing file is reported plainly."""
    root = Path(tempfile.mkdtemp(prefix="unlisted-"))
    try:
        root.chmod(0o755)
        touch(root, "locked/calm.flac")
        (root / "locked").chmod(0o311)  # enter, but not list
        assert run_unprivileged(lambda: resolve(root, "locked/calm.mp3")) == (
            [], [(7, "file not found: locked/calm.mp3")])
    finally:
        (root / "locked").chmod(0o755)
        shutil.rmtree(root)
