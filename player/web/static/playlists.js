// Choosing a playlist at the chair: the library's playlists with a Start each, and a confirmation
// (with the pre-session checklist, when the config has one) before any start.
// Loaded after app.js (shares its control(), say(), common.js's fmt() and the "status" event).
"use strict";

let startWhat = null;      // the playlist's name, or null: the configured default

function checklistItems() {
  return status && Array.isArray(status.checklist) ? status.checklist : [];
}

function ticked() {
  return [...document.querySelectorAll("#checklist-items input")].filter((c) => c.checked).map((c) => c.value);
}

function renderConfirm() {
  const items = checklistItems();
  const required = !!(status && status.require_checklist);
  const complete = ticked().length === items.length;
  $("checklist-note").hidden = !required || complete;
  $("btn-confirm-start").disabled = (required && !complete) || !(status && (status.allowed || []).includes("start"));
}

function askStart(row) {
  startWhat = row ? row.name : null;
  $("confirm-what").textContent = row ? `“${row.title || row.name}”` : "the default playlist";
  $("confirm-facts").textContent = row
    ? `${fmt(row.duration_s)} · ${row.phases.length} phase(s): ${row.phases.join(", ")}`
      + (row.checkpoints ? ` · ${row.checkpoints} checkpoint(s)` : "") + (row.calmer ? " · calmer music" : "")
    : "";
  fillCheckboxes($("checklist-items"), checklistItems(), "check", renderConfirm);
  $("checklist").hidden = !checklistItems().length;
  $("start-confirm").hidden = false;
  document.dispatchEvent(new CustomEvent("askstart", { detail: startWhat }));   // prefs.js: flag its tracks
  renderConfirm();
  $("start-confirm").scrollIntoView({ block: "nearest" });
}

async function confirmStart() {
  const body = { action: "start" };
  if (startWhat) body.playlist = startWhat;
  if (checklistItems().length) body.checked = ticked();
  const prefs = musicPreferences();   // prefs.js
  if (prefs) body.preferences = prefs;
  if (await control(body)) {
    $("start-confirm").hidden = true;
    document.dispatchEvent(new Event("started"));
  }
}

function renderPlaylistButtons(s) {
  const can = (s.allowed || []).includes("start");
  document.querySelectorAll("#playlists button").forEach((b) => { b.disabled = !can || b.dataset.valid !== "1"; });
  if (!can) $("start-confirm").hidden = true;
  else renderConfirm();
}

// Where the import heard a spoken voice (listen there before the session), and files it could not check.
function voiceNote(rows) {
  const heard = rows.filter((v) => v.checked);
  const unchecked = rows.filter((v) => !v.checked);
  if (!heard.length && !unchecked.length) return null;
  const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  const lines = heard.map((v) => `${v.file}: spoken voice ${v.ranges.map(([a, b]) => `${clock(a)}-${clock(Math.ceil(b))}`).join(", ")}`);
  if (unchecked.length) {
    lines.push(`${unchecked.length} file(s) not checked for a spoken voice (${unchecked[0].reason})`);
  }
  const note = document.createElement("div");
  note.className = heard.length ? "voice-note heard" : "voice-note muted";   // a voice heard: in the warning colour
  note.textContent = lines.join("\n");
  return note;
}

async function loadPlaylists() {
  try {
    const r = await fetch("/api/playlists?details=1", { credentials: "same-origin" });
    if (!r.ok) return;
    const rows = (await r.json()).details || [];
    const ul = $("playlists");
    ul.replaceChildren();
    if (!rows.length) { ul.innerHTML = '<li class="muted">no playlists imported yet (USB stick)</li>'; return; }
    for (const row of rows) {
      const li = document.createElement("li");
      const what = document.createElement("span");
      what.className = "what";
      what.textContent = row.valid
        ? `${row.title} · ${fmt(row.duration_s)} · ${row.phases.length} phase(s)` + (row.checkpoints ? ` · ${row.checkpoints} checkpoint(s)` : "")
        : `${row.name} · not valid: ${row.error}`;
      const start = document.createElement("button");
      start.textContent = "Start";
      start.dataset.playlist = row.name;
      start.dataset.valid = row.valid ? "1" : "0";
      start.addEventListener("click", () => askStart(row));
      li.append(what, start);
      const voice = voiceNote(row.voice || []);
      if (voice) li.append(voice);
      ul.appendChild(li);
    }
    if (status) renderPlaylistButtons(status);
  } catch (e) { /* the list is a convenience; Start of the default still works */ }
}

document.addEventListener("status", (e) => renderPlaylistButtons(e.detail));
document.addEventListener("DOMContentLoaded", () => {
  $("btn-confirm-start").addEventListener("click", confirmStart);
  $("btn-confirm-cancel").addEventListener("click", () => { $("start-confirm").hidden = true; });
  loadPlaylists();
});
