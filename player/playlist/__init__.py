"""Phase playlists: the YAML a clinician writes, checked and laid out on a timeline.

Public face (import from the modules; nothing is re-exported so the engine can import the
pure `model` without the validator's mutagen):

- `validate.load_playlist(path, *, probe=True) -> model.Playlist` (raises `PlaylistInvalid`)
  and `validate.check_playlist(path) -> list[model.Diagnostic]`;
- `plan.plan_session(playlist) -> plan.SessionPlan`, `plan.plan_to_json(plan)`, and
  `plan.tracks_for_phase(phase, start_turn=0)`, the play order the session engine follows.

- `summary.summarize_library(playlists) -> list[dict]`: one row per playlist for choosing one
  (`session-player playlists`, the web page).

Inside: `parse` (YAML tree -> specs, pure), `resolve` (files and globs, confined to the
playlist's folder), `probe` (mutagen: durations, vocal hints, the music list's titles and
artists), `checks` (rules that need durations).
"""
