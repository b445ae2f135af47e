// Music feedback after the session: per track heard (or per phase) helped / neutral / unwelcome and a short
// note, entered by staff with the patient or by the patient on a tablet in the recovery area. Each answer
// goes through POST /api/control ({"action": "feedback", ...}) to the engine, which keeps it in the finished
// session's records; answering again changes it (every answer is kept, the latest counts).
// Loaded after app.js (uses its say() and the "status" event it fires on every render).
"use strict";

const FB_ANSWERS = [["helped", "Helped"], ["neutral", "Neutral"], ["unwelcome", "Unwelcome"]];
let fbData = null;
let fbState = null;

async function fbLoad() {
  try {
    const r = await fetch("/api/feedback", { credentials: "same-origin" });
    if (!r.ok) return;
    fbData = await r.json();
    fbRender();
  } catch (e) { /* shown again at the next session's end */ }
}

function fbAnswer(kind, item) {
  return (fbData.answers || []).find((a) => a.kind === kind && a.item === item) || null;
}

function fbRow(kind, item, label, title, typed) {
  const li = document.createElement("li");
  li.className = "fb-row";
  li.dataset.kind = kind;
  li.dataset.item = item;
  const name = document.createElement("span");
  name.className = "fb-name";
  name.textContent = label;
  name.title = title || item;
  const buttons = document.createElement("span");
  buttons.className = "fb-answers";
  const given = fbAnswer(kind, item);
  for (const [value, text] of FB_ANSWERS) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "fb-answer " + value;
    b.dataset.answer = value;
    b.textContent = text;
    b.setAttribute("aria-pressed", given && given.answer === value ? "true" : "false");
    b.addEventListener("click", () => fbSend(li, value));
    buttons.appendChild(b);
  }
  const note = document.createElement("input");
  note.className = "fb-note";
  note.maxLength = 200;
  note.placeholder = "note (optional, no names)";
  note.setAttribute("aria-label", `note about ${label}`);
  note.autocomplete = "off";
  const key = `${kind}\n${item}`;   // a note being typed survives the list being drawn again
  note.value = key in typed ? typed[key] : (given && given.note) || "";
  note.addEventListener("change", () => {   // a changed note keeps the answer given
    const pressed = li.querySelector('button[aria-pressed="true"]');
    if (pressed) fbSend(li, pressed.dataset.answer);
  });
  li.append(name, buttons, note);
  return li;
}

function fbRender() {
  const box = $("feedback");
  box.hidden = !fbData || !fbData.session_id;
  if (box.hidden) return;
  const typed = {};
  if (box.dataset.session === fbData.session_id) {
    box.querySelectorAll(".fb-row").forEach((li) => {
      typed[`${li.dataset.kind}\n${li.dataset.item}`] = li.querySelector(".fb-note").value;
    });
  }
  box.dataset.session = fbData.session_id;
  const tracks = $("fb-tracks");
  tracks.replaceChildren(...(fbData.tracks || []).map((t) =>
    fbRow("track", t.file, t.artist ? `${t.title} — ${t.artist}` : t.title, t.file, typed)));
  const phases = $("fb-phases");
  phases.replaceChildren(...(fbData.phases || []).map((p) => fbRow("phase", p, p, `the whole ${p} phase`, typed)));
  $("fb-count").textContent = `· ${(fbData.answers || []).length} answered`;
}

async function fbSend(li, answer) {
  const body = { action: "feedback", session: fbData.session_id, answer, [li.dataset.kind]: li.dataset.item };
  const note = li.querySelector(".fb-note").value.trim();
  if (note) body.note = note;
  try {
    const r = await fetch("/api/control", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (r.status === 401) { location.reload(); return; }
    const data = await r.json();
    if (!r.ok) { say(data.error || `refused (${r.status})`, false); return; }
    say(`Music feedback saved: ${answer}`, true);
    await fbLoad();
  } catch (e) {
    say("no answer from the player: " + e.message, false);
  }
}

document.addEventListener("status", (e) => {
  const state = e.detail.state;
  if (state !== fbState && (state === "ended" || fbState === null)) fbLoad();   // a session just ended
  fbState = state;
});
document.addEventListener("DOMContentLoaded", fbLoad);
