"""Which pure core is mutated against which tests: one line per module.

Each core is mutated against the tests that cover it only, so a run stays fast and a kill
means *those* tests pin the module down. `tables` names module-level tables (dicts, tuples)
that the mutator in `tables.py` mutates too, because mutmut only mutates code inside
functions and a rule table is where a pure core keeps its rules.

Not listed: player/playlist/model.py (frozen dataclasses; mutmut 3 skips decorated
functions, so of its logic only ``Diagnostic.__str__`` would be mutated), and the core's pure
data modules with no function to mutate: player/core/effects.py, inputs.py, media.py (its
only logic is in properties, which mutmut skips) and mix_commands.py (frozen commands and the
`Readings` protocol).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Core:
    """A pure module and the test files that are meant to pin it down."""

    path: str
    tests: tuple[str, ...]
    tables: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


# Not test_fuzz.py: its hypothesis runs take seconds per mutant and assert only "never crashes".
_PLAYLIST_TESTS = ("tests/playlist/test_validate.py", "tests/playlist/test_corpus.py",
                   "tests/playlist/test_hostile_files.py")

#: The session core's behaviour tests: the machine and its handlers are pinned down by these together.
_SESSION_TESTS = ("tests/core/test_rules.py", "tests/core/test_rules_behaviour.py",
                  "tests/core/test_rules_restore_behaviour.py", "tests/core/test_rules_timing_behaviour.py",
                  "tests/core/test_calmer.py", "tests/core/test_checkpoints.py", "tests/core/test_machine.py")
# The mix's behaviour, through the output shell on FakeOutput (tests/engine/).
_MIXER_TESTS = ("tests/engine/test_mixer.py", "tests/engine/test_mixer_modes.py",
                "tests/engine/test_mixer_modes_behaviour.py", "tests/engine/test_mixer_transport_paths.py")
#: The mix core's modules (the machine with its state and slots, and the sequencer): the machine stepped on its own
#: (tests/core/mix_sim.py's simulated output), the mixer's tests, and the level model applied by the mix.
_MIX_CORE_TESTS = ("tests/core/test_mix_machine.py", "tests/core/test_mix_mutation_loudness.py",
                   "tests/core/test_mix_mutation_sequence.py", "tests/core/test_mix_mutation_state.py",
                   "tests/core/test_mix_mutation_transport.py",
                   "tests/engine/test_mixer_levels.py", *_MIXER_TESTS)

CORES: tuple[Core, ...] = (
    Core("player/playlist/parse.py", ("tests/playlist/test_parse_exact.py", *_PLAYLIST_TESTS)),
    Core("player/playlist/checks.py", ("tests/playlist/test_checks_exact.py", *_PLAYLIST_TESTS)),
    Core("player/playlist/resolve.py", ("tests/playlist/test_resolve_exact.py", *_PLAYLIST_TESTS)),
    Core("player/playlist/plan.py", ("tests/playlist/test_plan_exact.py", "tests/playlist/test_plan.py",
                                    "tests/playlist/test_shipped.py")),
    Core("player/durations.py", ("tests/test_foundation.py",)),
    Core("player/yamlsafe.py", ("tests/test_yamlsafe_exact.py", "tests/test_foundation.py",
                                "tests/playlist/test_validate.py", "tests/playlist/test_hostile_files.py")),
    Core("player/core/gain.py", ("tests/core/test_gain.py", "tests/core/test_gain_exact.py")),
    Core("player/core/timeline.py", ("tests/core/test_timeline.py", "tests/core/test_timeline_exact.py")),
    Core("player/hardware/gestures.py", ("tests/hardware/test_gestures.py", "tests/hardware/test_gestures_exact.py")),
    Core("player/hardware/stop_confirm.py", ("tests/hardware/test_stop_confirm.py",)),
    Core("player/hardware/volume_keys.py", ("tests/hardware/test_volume_keys.py",)),
    Core("player/core/mix_modes.py", ("tests/engine/test_mixer_modes.py", "tests/engine/test_mixer.py",
                                   "tests/engine/test_mixer_modes_behaviour.py"),
         tables=("MODE_TRANSITIONS",)),
    Core("player/core/deck.py", ("tests/engine/test_mixer.py", "tests/engine/test_mixer_modes.py",
                                  "tests/core/test_deck_behaviour.py"),
         tables=("DECK_TRANSITIONS", "SOUNDING")),
    Core("player/core/levels.py", ("tests/core/test_levels.py", "tests/engine/test_mixer.py",
                                    "tests/core/test_levels_behaviour.py")),
    Core("player/core/device_watch.py", ("tests/engine/test_mixer.py", "tests/core/test_device_watch_behaviour.py")),
    Core("player/core/exposure.py", ("tests/core/test_exposure.py", "tests/core/test_exposure_behaviour.py")),
    Core("player/core/crossfade.py", ("tests/core/test_gain.py", "tests/core/test_gain_exact.py",
                                      "tests/core/test_crossfade.py", *_MIXER_TESTS)),
    Core("player/core/mix.py", _MIX_CORE_TESTS),   # the machine, with the Mix and its DeckSlots
    Core("player/core/mix_sequencer.py", _MIX_CORE_TESTS),
    Core("player/core/session.py", _SESSION_TESTS, tables=("TABLE",)),
    *(Core(f"player/core/{name}.py", _SESSION_TESTS) for name in ("phases", "restart", "running", "status")),
    Core("player/core/cursor.py", ("tests/core/test_rules.py", "tests/core/test_cursor_behaviour.py",
                                      "tests/core/test_calmer.py")),
    Core("player/core/resume.py", ("tests/core/test_rules.py", "tests/core/test_resume_behaviour.py",
                                      "tests/core/test_calmer.py", "tests/core/test_checkpoints.py")),
    Core("player/core/vocabulary.py", ("tests/core/test_states.py", "tests/core/test_states_wording.py",
                                       "tests/core/test_rules.py", "tests/reports/test_report_real_log.py",
                                       "tests/core/test_events_behaviour.py", "tests/core/test_machine.py"),
         tables=("TRANSITIONS", "_ACTIVE", "PRESS_MEANS")),
    Core("player/core/calmer.py", ("tests/core/test_calmer.py",)),
    Core("player/core/calmer_rules.py", ("tests/core/test_calmer.py",)),
    Core("player/core/checklist.py", ("tests/core/test_calmer.py",)),
    Core("player/core/checkpoints.py", ("tests/core/test_checkpoints.py", "tests/core/test_infusion.py")),
    Core("player/core/infusion.py", ("tests/core/test_infusion.py",)),
    Core("player/core/anchored_phase.py", ("tests/core/test_infusion.py", "tests/core/test_rules_behaviour.py",
                                           "tests/core/test_rules_timing_behaviour.py", "tests/core/test_rules.py")),
    Core("player/station/infusion_tile.py", ("tests/station/test_infusion_tile.py",)),
    Core("player/core/observations.py", ("tests/core/test_observations.py", "tests/core/test_observations_edges.py")),
    Core("player/core/observation_kinds.py", ("tests/core/test_observation_kinds.py",
                                              "tests/core/test_observations.py"), tables=("BUILTIN",)),
    Core("player/core/bluetooth.py", ("tests/core/test_bluetooth.py", "tests/core/test_bluetooth_edges.py",
                                      "tests/bluetooth/test_keeper.py")),
    Core("player/core/controls.py", ("tests/core/test_controls_door.py", "tests/core/test_machine.py",
                                     "tests/control/test_controller_contract.py",
                                     "tests/control/test_hostile_text.py", "tests/control/test_hostile_numbers.py"),
         tables=("CONTROL_TYPES",)),
    Core("player/core/cap.py", ("tests/core/test_cap.py", "tests/core/test_exposure.py",
                                "tests/test_config_calibration.py")),
    Core("player/schema.py", ("tests/test_schema.py", "tests/test_config.py")),
    Core("player/core/level_model.py", ("tests/core/test_level_model.py",)),
    Core("player/playlist/checkpoint_spec.py", ("tests/playlist/test_checkpoint_spec.py",
                                               "tests/playlist/test_anchored_spec.py")),
    Core("player/station/board.py", ("tests/station/test_board.py",)),
    Core("player/mqtt/topics.py", ("tests/station/test_board.py",)),
    Core("player/reports/recovery.py", ("tests/reports/test_recovery.py",)),
    Core("player/core/music_feedback.py", ("tests/core/test_music_feedback.py",)),
    Core("player/core/music_prefs.py", ("tests/core/test_music_prefs.py",), ("SYNONYMS", "LOUDNESS")),
)


def find(name: str) -> Core:
    """A core by path (``player/durations.py``), dotted module or unique suffix (``durations``)."""
    hits = [c for c in CORES if name in (c.path, c.module) or c.module.endswith("." + name)]
    if len(hits) != 1:
        known = ", ".join(c.module.removeprefix("player.") for c in CORES)
        raise SystemExit(f"mutation: {name!r} is {'ambiguous' if hits else 'not a listed core'}; cores: {known}")
    return hits[0]
