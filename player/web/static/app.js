// Staff page: live status over Server-Sent Events, controls over POST /api/control.
// No framework and no build step: the clinic LAN may be offline. $, fmt() and follow() are common.js's.
"use strict";

const METER_FLOOR_DB = -60;
const LOG_MAX = 30;
let status = null;
let seen = new Set();
let stopArmedUntil = 0;

function db(value) {
  return value === null || value === undefined ? "—" : value.toFixed(1) + " dB";
}

function pct(value, total) {
  return Math.max(0, Math.min(100, (100 * value) / total)) + "%";
}

function renderTimeline(s) {
  const box = $("timeline");
  box.replaceChildren();
  const phases = s.phases || [];
  if (!phases.length) return;
  const planned = phases.every((p) => isFinite(p.planned_start_s) && isFinite(p.planned_end_s));
  let total = 0;
  phases.forEach((p) => { total = Math.max(total, planned ? p.planned_end_s : 0, p.actual_end_s || 0); });
  total = Math.max(total, s.elapsed_s || 0, 1);
  phases.forEach((p, i) => {
    const seg = document.createElement("div");
    seg.className = "seg" + (i === s.phase_index ? " current" : (s.phase_index !== null && i < s.phase_index ? " done" : ""));
    const start = planned ? p.planned_start_s : (i * total) / phases.length;
    const end = planned ? p.planned_end_s : ((i + 1) * total) / phases.length;
    seg.style.left = pct(start, total);
    seg.style.width = pct(end - start, total);
    seg.textContent = p.name;
    seg.title = `${p.name}: planned ${fmt(start)}–${fmt(end)}`;
    box.appendChild(seg);
    for (const edge of [p.actual_start_s, p.actual_end_s]) {
      if (edge === null || edge === undefined || !isFinite(edge)) continue;
      const tick = document.createElement("div");
      tick.className = "actual";
      tick.style.left = pct(edge, total);
      tick.title = `${p.name}: actual boundary at ${fmt(edge)}`;
      box.appendChild(tick);
    }
  });
  if (planned && s.session_id && isFinite(s.elapsed_s)) {
    const past = document.createElement("div");
    past.className = "past";
    past.style.width = pct(s.elapsed_s, total);
    box.appendChild(past);
    const now = document.createElement("div");
    now.className = "nowmark";
    now.id = "now-marker";
    now.style.left = pct(s.elapsed_s, total);
    now.title = "now";
    box.appendChild(now);
  }
}

function renderVolume(s) {
  const span = -METER_FLOOR_DB;
  const at = (v) => pct(Math.max(METER_FLOOR_DB, Math.min(0, v)) - METER_FLOOR_DB, span);
  $("meter-fill").style.width = s.volume_db === null || s.volume_db === undefined ? "0%" : at(s.volume_db);
  $("meter-level").style.width = s.level_db === null || s.level_db === undefined ? "0%" : at(s.level_db);
  if (s.cap_db !== null && s.cap_db !== undefined) $("meter-cap").style.left = at(s.cap_db);
  // One scale: loudness heard, relative to the normalization target (and dBA when calibrated).
  const dba = (v) => (v === null || v === undefined ? "" : ` = ${v.toFixed(1)} dBA`);
  const level = s.level_db === null || s.level_db === undefined ? "" : ` · heard ${db(s.level_db)}${dba(s.heard_dba)}`;
  $("volume-text").textContent = `${db(s.volume_db)}${dba(s.volume_dba)}${level} · cap ${db(s.cap_db)}${dba(s.max_dba)}`;
}

function renderButtons(s) {
  const allowed = new Set(s.allowed || []);
  document.querySelectorAll("button[data-action]").forEach((b) => { b.disabled = !allowed.has(b.dataset.action); });
  $("btn-mark").disabled = !allowed.has("mark");
  // One big toggle: show Resume when paused, Start when nothing runs, Pause otherwise.
  $("btn-resume").hidden = s.state !== "paused";
  $("btn-start").hidden = !allowed.has("start");
  $("btn-pause").hidden = s.state === "paused" || allowed.has("start");
  if (Date.now() > stopArmedUntil) disarmStop();
}

function render(s) {
  status = s;
  $("room").textContent = s.room || "";
  const state = $("state");
  state.textContent = s.state || "?";
  state.className = "pill " + (s.state || "");
  $("phase").textContent = s.phase || (s.state === "idle" ? "No session" : s.state === "ended" ? "Session ended" : "—");
  const n = (s.phases || []).length;
  $("phase-pos").textContent = s.phase_index !== null && s.phase_index !== undefined && n ? `${s.phase_index + 1} of ${n}` : "";
  $("phase-elapsed").textContent = fmt(s.phase_elapsed_s);
  $("phase-remaining").textContent = fmt(s.phase_remaining_s);
  $("elapsed").textContent = fmt(s.elapsed_s);
  $("remaining").textContent = fmt(s.remaining_s);
  $("track").textContent = s.track_title || s.track || "—";   // the title staff know; the file in the tooltip
  $("track").title = s.track || "";
  const bt = s.bluetooth;   // only on a chair with Bluetooth headphones (audio.bluetooth)
  $("headphones-row").hidden = !bt;
  if (bt) {
    $("headphones").textContent = `${bt.name || bt.address} · ${bt.connected ? "connected" : "NOT CONNECTED"}`
      + (bt.battery_percent !== null && bt.battery_percent !== undefined ? ` · battery ${bt.battery_percent} %` : "");
  }
  const faults = s.faults || [];
  $("faults").hidden = !faults.length;
  $("faults").textContent = faults.length ? "⚠ " + faults.join(" · ") : "";
  renderTimeline(s);
  renderVolume(s);
  renderButtons(s);
  document.dispatchEvent(new CustomEvent("session-status", { detail: s }));   // checkpoints.js
  document.title = `${s.phase || s.state} · ${s.room || "Session player"}`;
  document.dispatchEvent(new CustomEvent("status", { detail: s }));  // calmer.js, playlists.js
}

function addEvent(rec) {
  const key = `${rec.session_id}/${rec.seq}/${rec.time}`;
  if (seen.has(key)) return;
  seen.add(key);
  const li = document.createElement("li");
  const t = document.createElement("time");
  const when = new Date(rec.time);
  t.textContent = isNaN(when) ? "" : when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  const src = document.createElement("span");
  src.className = "src";
  src.textContent = rec.source || "";
  const what = document.createElement("span");
  what.className = "what";
  what.textContent = rec.description || rec.type;
  what.title = what.textContent;
  li.append(t, src, what);
  const list = $("events");
  list.prepend(li);
  while (list.children.length > LOG_MAX) list.lastElementChild.remove();
  if (rec.type === "session_ended" || rec.type === "session_started") loadSessions();
}

function say(text, ok) {
  const m = $("message");
  m.textContent = text;
  m.className = "message " + (ok ? "ok" : "error");
}

async function control(body) {
  try {
    const r = await fetch("/api/control", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (r.status === 401) { location.reload(); return false; }
    const data = await r.json();
    if (!r.ok) { say(data.error || `refused (${r.status})`, false); return false; }
    render(data.status);
    say(done(body, data.status), true);
    return true;
  } catch (e) {
    say("no answer from the player: " + e.message, false);
    return false;
  }
}

function done(body, s) {
  switch (body.action) {
    case "start": return "Session started";
    case "pause": return "Paused";
    case "resume": return "Resumed";
    case "extend": return `${s.phase || "Phase"} extended by ${body.minutes} min`;
    case "advance": return `Moved on to ${s.phase || "the next phase"}`;
    case "mark": return `Marked: ${body.text}`;
    case "volume": return `Volume now ${db(s.volume_db)}`;
    case "stop": return "Session stopped";
    case "ack": return "Checkpoint acknowledged";
    case "observe": return `Recorded ${body.kind} ${body.value}`;
    case "calmer": return body.off ? "Back to the plan's music" : "Calmer music playing";
    case "infusion": return body.event === "start" ? "Infusion start recorded" : "Infusion end recorded";
    default: return body.action.replace("_", " ") + ": done";
  }
}

function disarmStop() {
  stopArmedUntil = 0;
  const b = $("btn-stop");
  b.classList.remove("confirm");
  b.textContent = "Stop session";
}

function onButton(ev) {
  const b = ev.currentTarget;
  const action = b.dataset.action;
  if (action === "stop" && Date.now() > stopArmedUntil) {
    stopArmedUntil = Date.now() + 5000;
    b.classList.add("confirm");
    b.textContent = "Tap again to stop";
    setTimeout(() => { if (Date.now() > stopArmedUntil) disarmStop(); }, 5100);
    return;
  }
  if (action === "stop") disarmStop();
  if (action === "start") { askStart(null); return; }  // playlists.js: confirm (and the checklist) first
  const body = { action };
  if (action === "extend") body.minutes = 5;
  if (action === "volume") body.delta_db = Number(b.dataset.delta);
  control(body);
}

function connect() {
  follow({
    hello: (data) => data.backlog.forEach(addEvent),
    event: addEvent,
    status: render,
  }, "/api/status", { up: () => $("link").classList.add("up"), down: () => $("link").classList.remove("up") });
}

async function loadSessions() {
  try {
    const r = await fetch("/api/sessions", { credentials: "same-origin" });
    if (!r.ok) return;
    const rows = (await r.json()).sessions.slice(0, 10);
    const ul = $("sessions");
    ul.replaceChildren();
    if (!rows.length) { ul.innerHTML = '<li class="muted">no sessions recorded yet</li>'; return; }
    for (const row of rows) {
      const li = document.createElement("li");
      const base = `/api/sessions/${encodeURIComponent(row.id)}/report`;
      const a = document.createElement("a");
      a.href = base + "?format=html";
      a.textContent = `${row.started ? new Date(row.started).toLocaleString() : row.id} · ${row.room || ""} · ${row.outcome}`;
      const csv = document.createElement("a");
      csv.href = base + "?format=csv";
      csv.textContent = "CSV";
      const music = document.createElement("a");
      music.href = base + "?format=music";
      music.textContent = "music list";
      music.title = "the music heard, for the patient to take home (no clinical data)";
      li.append(a, " · ", csv, " · ", music);
      ul.appendChild(li);
    }
  } catch (e) { /* the list is a convenience; the live page matters more */ }
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-action]").forEach((b) => b.addEventListener("click", onButton));
  $("mark-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("mark-text").value.trim();
    if (!text) { say("type a short note first, e.g. BP 128/82", false); return; }
    if (await control({ action: "mark", text })) $("mark-text").value = "";
  });
  connect();
  loadSessions();
});
