"""The pure planning core: entry refusals, names, references, size/space selection."""

from __future__ import annotations

import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.fsutil import kind_of
from player.usb.plan import (
    Candidate,
    Entry,
    bad_name,
    check_references,
    printable,
    refuse_entry,
    relative_reference,
    select,
)


@pytest.mark.parametrize(("mode", "kind"), [(stat.S_IFREG, "file"), (stat.S_IFDIR, "dir"), (stat.S_IFLNK, "symlink"),
                                            (stat.S_IFCHR, "device"), (stat.S_IFBLK, "device"),
                                            (stat.S_IFIFO, "fifo"), (stat.S_IFSOCK, "socket")])
def test_kind_of(mode, kind):
    assert kind_of(mode | 0o644) == kind


@pytest.mark.parametrize(("entry", "why"), [
    (Entry("a.flac", "file"), None),
    (Entry("d", "dir"), None),
    (Entry("a.flac", "symlink"), "is a symbolic link; links on a stick are never followed"),
    (Entry("a.flac", "device"), "is a device file"),
    (Entry("a.flac", "fifo"), "is a FIFO (named pipe)"),
    (Entry("a.flac", "socket"), "is a socket"),
    (Entry("a.flac", "file", nlink=3), "is a hard link (3 names for one file)"),
    (Entry("x/a\nb.flac", "file"), "name contains control characters"),
    (Entry("a\u202eb.flac", "file"), "name contains control characters"),  # right-to-left override
    (Entry("a\udcff.flac", "file"), "name is not valid UTF-8"),
    (Entry("x" * 256, "file"), "name longer than 255 characters"),
])
def test_refuse_entry(entry, why):
    assert refuse_entry(entry) == why


def test_names():
    assert bad_name("Stille Nacht – ruhig.flac") is None
    assert printable("a\x07b\udcffc\u202e") == "a\\u0007b\\xffc\\u202e"


@pytest.mark.parametrize(("target", "rel"), [
    ("/m/s/playlists/a/b.flac", "a/b.flac"),
    ("/m/s/playlists", None),
    ("/m/s/playlistsX/a.flac", None),
    ("/m/s/a.flac", None),
    ("/m/s/playlists/../a.flac", None),
    ("/etc/passwd", None),
])
def test_relative_reference(target, rel):
    assert relative_reference(target, "/m/s/playlists") == rel


def test_check_references():
    entries = {"a.flac": Entry("a.flac", "file"), "d": Entry("d", "dir"), "d/x.flac": Entry("d/x.flac", "file"),
               "Case.flac": Entry("Case.flac", "file")}
    refused = {"d": "name contains control characters"}
    out = check_references("p.yaml", ["a.flac", None, "d/x.flac", "case.flac", "d"],
                           ["/s/a.flac", "/etc/x", "/s/d/x.flac", "/s/case.flac", "/s/d"], entries, refused)
    assert [r.reason for r in out] == [
        "refers to /etc/x, outside the stick's playlists folder (path traversal or absolute path)",
        "refers to d, which was refused (name contains control characters)",
        "refers to case.flac, which is not on the stick (the stick has Case.flac: letter case differs)",
        "refers to d, which was refused (name contains control characters)",
    ]


def test_select_counts_shared_files_once_and_skips_what_does_not_fit():
    sizes = {"a": 40, "b": 40, "c": 30, "huge": 1000}
    cands = [Candidate("one", frozenset({"a", "b"})), Candidate("two", frozenset({"a", "b"})),
             Candidate("big", frozenset({"huge"})), Candidate("three", frozenset({"a", "c"})),
             Candidate("four", frozenset({"c"}))]
    sel = select(cands, sizes, max_file_bytes=500, max_total_bytes=100, free_bytes=10**9, reserve_bytes=0)
    assert [c.name for c in sel.accepted] == ["one", "two"]
    assert [(r.subject, r.reason.split(",")[0].split(" over")[0]) for r in sel.refusals] == [
        ("big", "huge is 1000 bytes"), ("three", "the import would total 110 bytes"),
        ("four", "the import would total 110 bytes")]
    space = select(cands[:1], sizes, max_file_bytes=500, max_total_bytes=10**6, free_bytes=100, reserve_bytes=30)
    assert space.accepted == [] and "not enough free space: needs 80 bytes" in space.refusals[0].reason


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=3), st.frozensets(st.sampled_from("abcdef"), max_size=4)), max_size=8),
       st.integers(0, 400), st.integers(0, 400))
def test_select_never_exceeds_limits(items, max_total, free):
    sizes = dict(zip("abcdef", (10, 20, 40, 80, 160, 320), strict=True))
    cands = [Candidate(n, f) for n, f in items]
    sel = select(cands, sizes, max_file_bytes=200, max_total_bytes=max_total, free_bytes=free, reserve_bytes=5)
    assert sel.total_bytes == sum(sizes[f] for f in sel.files) <= min(max_total, free - 5) or not sel.accepted
    assert len(sel.accepted) + len(sel.refusals) == len(cands)
    assert all(sizes[f] <= 200 for f in sel.files)
