"""The level model (player/audio/level_model.py): the cap bounds what is heard, whatever is asked.

Property tests over master level, trim, fader, the track's loudness, true peak and loudest
passage, and the calibration; then the cases the issue measured, by hand.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.audio.gain import VLC_MAX_DB, db_to_vlc_percent, vlc_percent_to_db
from player.audio.level_model import (
    MAX_REFERENCE_CUT_DB,
    LevelLimits,
    SessionReference,
    TrackLevel,
    deck_gain_db,
    heard_level_db,
    heard_of_gain_db,
    reference_db,
    shortfall_notes,
)
from player.config import load_config
from player.core.cap import effective_cap_db

levels = st.floats(-90, 30, allow_nan=False)
tracks = st.builds(
    lambda lufs, crest, short: TrackLevel(lufs, min(0.0, lufs + crest), lufs + short),
    st.floats(-70, -3), st.floats(0, 30), st.floats(0, 25))
limits = st.builds(LevelLimits, st.floats(-40, -5), st.floats(-60, 0), st.floats(-12, 0), st.floats(0, 18))


@settings(max_examples=500)
@given(track=st.one_of(st.none(), tracks), master=levels, trim=levels, ref=st.floats(-6, 0), fader=levels,
       lim=limits)
def test_the_cap_holds_over_master_trim_fader_loudness_and_peak(track, master, trim, ref, fader, lim):
    heard = heard_level_db(master, trim, ref, min(0.0, fader), lim.cap_db)
    gain = deck_gain_db(track, heard, lim)
    assert gain is not None
    need = lim.need_db(track)
    # what the patient hears: never above the cap (an unmeasured file: if it is as hot as assumed)
    assert heard_of_gain_db(gain, need) <= lim.cap_db + 1e-9
    # the digital gain: within VLC's range and the max boost; the true peak at or under its ceiling
    assert gain <= min(lim.max_boost_db, VLC_MAX_DB) + 1e-9
    if track is None:
        assert gain <= 0.0                                    # nothing unmeasured is ever amplified
    else:
        assert track.peak_db + gain <= lim.max_true_peak_db + 1e-9
        if need > 0:                                          # a boost never lifts a passage above the cap
            assert track.short_term_max_lufs + gain <= max(lim.target_lufs + lim.cap_db,
                                                           track.short_term_max_lufs + heard) + 1e-9
    # and what VLC is sent rounds down, never up
    percent = db_to_vlc_percent(gain, lim.max_boost_db)
    assert percent == 0 or vlc_percent_to_db(percent) <= gain + 1e-9


@settings(max_examples=300)
@given(track=tracks, master=levels, max_dba=st.floats(40, 85), calibration=st.one_of(st.none(), st.floats(40, 150)),
       max_db=st.floats(-60, 0))
def test_a_calibrated_cap_holds_in_dba(track, master, max_dba, calibration, max_db):
    cap = effective_cap_db(max_db, max_dba, calibration)
    lim = LevelLimits(cap_db=cap)
    gain = deck_gain_db(track, heard_level_db(master, 0.0, 0.0, 0.0, cap), lim)
    heard = heard_of_gain_db(gain, lim.need_db(track))
    assert heard <= max_db + 1e-9
    if calibration is not None:
        assert heard + calibration <= max_dba + 1e-9


@settings(max_examples=300)
@given(track=tracks, master=st.floats(-60, 0), lim=limits)
def test_a_track_within_its_headroom_is_heard_at_the_level_asked(track, master, lim):
    heard = heard_level_db(master, 0.0, 0.0, 0.0, lim.cap_db)
    gain = deck_gain_db(track, heard, lim)
    if heard <= lim.reach_db(track) and (lim.need_db(track) <= 0 or track.short_term_max_lufs + lim.need_db(track)
                                          + heard <= lim.target_lufs + lim.cap_db):
        assert heard_of_gain_db(gain, lim.need_db(track)) == pytest.approx(heard)


@given(st.lists(tracks, max_size=8), limits)
def test_the_reference_lowers_the_session_by_what_its_quietest_track_lacks(session, lim):
    ref = reference_db(session, lim)
    assert -MAX_REFERENCE_CUT_DB <= ref <= 0.0
    for track in session:                       # each track reaches the cap's level, lowered by the reference
        assert lim.lacks_db(track) <= -ref + 1e-9 or ref == -MAX_REFERENCE_CUT_DB
        if track.loudness_lufs > -70:
            assert lim.lacks_db(track) == pytest.approx(max(0.0, lim.cap_db - lim.reach_db(track)))


def test_silence_never_lowers_the_session():
    lim = LevelLimits()
    silent = TrackLevel(-70.0, -90.0, -70.0)    # ebur128 gates digital silence out: -70 LUFS
    assert reference_db([silent], lim) == 0.0 and shortfall_notes({"settling/01": silent}, lim) == (0.0, [])


def test_the_issue_case_quiet_masters_play_as_loud_as_the_rest_with_the_shipped_defaults():
    lim = LevelLimits.of(load_config({}))
    assert (lim.target_lufs, lim.cap_db, lim.max_true_peak_db, lim.max_boost_db) == (-18.0, -6.0, -1.0, 18.0)
    heard = {}
    for lufs, peak in ((-36.7, -27.0), (-27.1, -17.5), (-16.7, -7.0)):   # pink noise: ~10 dB crest
        track = TrackLevel(lufs, peak, lufs + 0.5)
        gain = deck_gain_db(track, heard_level_db(-12.0, 0.0, 0.0, 0.0, lim.cap_db), lim)
        heard[lufs] = heard_of_gain_db(gain, lim.need_db(track))
    assert heard == pytest.approx({-36.7: -12.0, -27.1: -12.0, -16.7: -12.0})
    quiet = TrackLevel(-36.7, -27.0, -36.2)
    assert deck_gain_db(quiet, -12.0, lim) == pytest.approx(6.7)        # VLC above 100 %: it amplifies


def test_an_unmeasured_file_plays_below_the_target_never_above():
    lim = LevelLimits()
    assert lim.need_db(None) == -10.0                         # assumed mastered at -8 LUFS
    assert deck_gain_db(None, -6.0, lim) == -16.0
    assert deck_gain_db(None, 30.0, lim) == -16.0             # held at the cap, and never amplified


def test_a_quiet_track_with_one_loud_passage_is_not_boosted_into_it():
    lim = LevelLimits()
    track = TrackLevel(-35.0, -10.0, -25.0)                   # integrated -35, but 3 s at -25 LUFS
    gain = deck_gain_db(track, -6.0, lim)
    assert track.short_term_max_lufs + gain == pytest.approx(lim.target_lufs + lim.cap_db)   # the passage at the cap
    assert deck_gain_db(track, -20.0, lim) == pytest.approx(-20.0 + 17.0)   # lower: the full boost
    louder = TrackLevel(-35.0, -10.0, -15.0)                  # its passage is above the cap unboosted: no boost
    assert deck_gain_db(louder, -6.0, lim) == -6.0


def test_the_peak_bounds_the_boost_and_the_session_plays_quieter_to_match():
    lim = LevelLimits()                                       # cap -6, true peak -1
    dynamic = TrackLevel(-40.0, -10.0, -38.0)                 # needs +22 dB; the peak allows +9
    assert lim.reach_db(dynamic) == pytest.approx(-13.0)
    assert reference_db([dynamic, TrackLevel(-18.0, -2.0, -15.0)], lim) == -MAX_REFERENCE_CUT_DB
    mild = TrackLevel(-40.0, -16.0, -38.0)                    # reaches -7: one dB short of the cap
    ref, notes = shortfall_notes({"onset/02": mild, "onset/01": TrackLevel(-18.0, -2.0, -15.0)}, lim)
    assert ref == pytest.approx(-1.0)
    assert notes == ["onset/02 is 22 LU below target: the session plays 1.0 dB quieter to keep it even"]
    ref, notes = shortfall_notes({"onset/02": dynamic}, lim)
    assert notes == ["onset/02 is 22 LU below target: it plays 1.0 dB quieter than the rest "
                     "(the session is already 6 dB quieter for it)"]


def test_silence_and_nan_stay_silent():
    lim = LevelLimits()
    assert heard_level_db(-12.0, 0.0, 0.0, None, lim.cap_db) is None
    assert heard_level_db(math.nan, 0.0, 0.0, 0.0, lim.cap_db) is None
    assert deck_gain_db(TrackLevel(-20, -3, -18), None, lim) is None
    assert heard_of_gain_db(None, 3.0) is None


def test_the_session_reference_glides_to_what_the_known_tracks_call_for():
    lim = LevelLimits()
    ref = SessionReference(lim, rate_db_per_s=0.5)
    assert not ref.follow(0.0, [TrackLevel(-18.0, -3.0, -15.0)])          # nothing lacks: stays at 0
    assert ref.follow(10.0, [TrackLevel(-40.0, -16.0, -38.0)])           # reaches -7: one dB short of the cap
    assert ref.value(10.0) == 0.0 and ref.value(11.0) == pytest.approx(-0.5) and ref.value(20.0) == -1.0
    assert not ref.follow(20.0, [TrackLevel(-40.0, -16.0, -38.0)])       # the same figures: no new glide


def test_each_term_of_the_heard_level_and_the_gain_counts():
    lim = LevelLimits()
    assert heard_level_db(-12.0, -2.0, -1.0, -3.0, -6.0) == -18.0      # master + trim + reference + fader
    assert heard_level_db(-2.0, 3.0, 0.0, 0.0, -6.0) == -6.0           # at most the cap
    track = TrackLevel(-30.0, -20.0, -29.0)
    assert deck_gain_db(track, -12.0, lim) == 0.0                        # need +12 at -12: VLC 100 %
    assert deck_gain_db(track, -12.0, lim, need_db=4.0) == -8.0          # a provisional need overrides
    assert deck_gain_db(track, -12.0, lim, need_db=math.nan) is None     # a broken figure mutes, never blasts


def test_the_unmeasured_need_and_ceiling_with_a_target_above_the_hot_master():
    hot_target = LevelLimits(target_lufs=-5.0)
    assert hot_target.need_db(None) == 0.0                               # never a boost for the unknown
    assert LevelLimits().ceiling_db(None) == 0.0
    assert reference_db([], LevelLimits()) == 0.0


def test_notes_skip_tracks_that_lack_nothing_and_say_which_side_of_the_cut_a_track_is():
    lim = LevelLimits()
    fine, short = TrackLevel(-18.0, -3.0, -15.0), TrackLevel(-40.0, -16.0, -38.0)
    assert shortfall_notes({"a": fine, "b": short}, lim)[1] == [
        "b is 22 LU below target: the session plays 1.0 dB quieter to keep it even"]
    at_cut = TrackLevel(-40.0, -11.0, -38.0)                             # reaches -12: exactly the 6 dB cut
    assert shortfall_notes({"c": at_cut}, lim)[1] == [
        "c is 22 LU below target: the session plays 6.0 dB quieter to keep it even"]
