// The patient's music preferences before Start (player/web/music_prefs.py): items to avoid (suggested
// checkboxes and free text) and the loudness, sent with the start; the chosen playlist's tracks whose
// tags match an item are flagged here before the start, so staff can choose another playlist.
// The answers stay while staff try other playlists, and are cleared once a session started.
// Loaded after playlists.js (which calls musicPreferences() and sends "askstart"); $ is common.js's.
"use strict";

let prefsPlaylist = null;   // the playlist the confirm panel is for (null: the configured default)
let prefsAsked = 0;         // the latest flags request: older answers are dropped
let prefsTimer = null;

function avoidItems() {
  const ticked = [...document.querySelectorAll("#prefs-suggested input")].filter((c) => c.checked).map((c) => c.value);
  const typed = $("prefs-other").value.split(",").map((s) => s.trim()).filter(Boolean);
  return [...new Set([...ticked, ...typed])];
}

function prefsLoudness() {
  const chosen = document.querySelector('input[name="prefs-loudness"]:checked');
  return chosen ? chosen.value : "as_planned";
}

// What confirmStart sends as the start's "preferences"; null when nothing was asked for.
function musicPreferences() {
  const avoid = avoidItems();
  const loudness = prefsLoudness();
  return avoid.length || loudness !== "as_planned" ? { avoid, loudness } : null;
}

function clearPreferences() {
  document.querySelectorAll("#prefs-suggested input").forEach((c) => { c.checked = false; });
  $("prefs-other").value = "";
  $("prefs-loudness-planned").checked = true;
  showFlags(null, []);
}

function showFlags(note, flags) {
  const list = $("prefs-flags");
  list.replaceChildren();
  for (const f of flags) {
    const li = document.createElement("li");
    li.className = "voice-note heard";
    li.textContent = `${f.file}: ${f.says}`;
    list.appendChild(li);
  }
  list.hidden = !flags.length;
  $("prefs-note").textContent = note || "";
  $("prefs-note").hidden = !note;
}

async function refreshFlags() {
  const avoid = avoidItems();
  const asked = ++prefsAsked;
  if (!avoid.length) { showFlags(null, []); return; }
  const query = new URLSearchParams();
  if (prefsPlaylist) query.append("playlist", prefsPlaylist);
  avoid.forEach((a) => query.append("avoid", a));
  showFlags("Checking the tracks' tags…", []);
  try {
    const r = await fetch(`/api/music-preferences/flags?${query}`, { credentials: "same-origin" });
    const data = await r.json();
    if (asked !== prefsAsked) return;
    if (!r.ok) { showFlags(data.error || `cannot check the tracks (${r.status})`, []); return; }
    const files = new Set(data.flags.map((f) => f.file)).size;
    showFlags(files ? `${files} track(s) of this playlist match: choose another playlist, or listen first.`
      : "No track's title, artist, album, genre or comment matches (tags can be empty: listen if unsure).", data.flags);
  } catch (e) {
    if (asked === prefsAsked) showFlags("cannot check the tracks: " + e.message, []);
  }
}

function flagsSoon() {
  clearTimeout(prefsTimer);
  prefsTimer = setTimeout(refreshFlags, 300);
}

async function loadSuggestions() {
  try {
    const r = await fetch("/api/music-preferences", { credentials: "same-origin" });
    if (!r.ok) return;
    const data = await r.json();
    fillCheckboxes($("prefs-suggested"), data.suggested, "prefs", flagsSoon);
    $("prefs-quieter-db").textContent = `${data.quieter_db} dB`;
  } catch (e) { /* free text still works */ }
}

document.addEventListener("askstart", (e) => { prefsPlaylist = e.detail; flagsSoon(); });
document.addEventListener("started", clearPreferences);
document.addEventListener("DOMContentLoaded", () => {
  $("prefs-other").addEventListener("input", flagsSoon);
  loadSuggestions();
});
