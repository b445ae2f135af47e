// Checkpoints and observations on the staff page: the due banner with Acknowledge, the next
// checkpoint with a countdown, the observation form. Silent to the patient: only the page and
// the LED show a due checkpoint. Uses app.js's control() and say(); listens to its status.
"use strict";

const EXAMPLES = { bp: "e.g. 128/82", hr: "e.g. 72", spo2: "e.g. 97", rr: "e.g. 14", sedation: "e.g. 0",
                   nausea: "0-10", dizziness: "0-10", grogginess: "0-10", note: "short note, no names" };
let cpStatus = null;
let cpShownAt = 0;

function cpRender() {
  const s = cpStatus;
  const cps = (s && s.checkpoints) || [];
  // Between two status messages (one a second), count on from when this one arrived.
  const elapsed = s && typeof s.elapsed_s === "number"
    ? s.elapsed_s + (s.state === "ended" ? 0 : (Date.now() - cpShownAt) / 1000) : 0;
  const due = cps.filter((c) => c.state === "due");
  const banner = document.getElementById("cp-due");
  banner.hidden = !due.length;
  if (due.length) {
    document.getElementById("cp-due-text").textContent = due.map((c) => c.text).join(" · ");
    document.getElementById("cp-due-since").textContent = `(due ${fmt(Math.max(0, elapsed - due[0].at_s))} ago)`;
  }
  // Beside the observation form the due checkpoint is repeated; while one is due the next one
  // is not shown at all, so "next: HR in 0:54" can never be read as "nothing is due".
  document.getElementById("cp-panel-due").hidden = !due.length;
  document.getElementById("cp-panel-due-text").textContent = due.map((c) => c.text).join(" · ");
  document.getElementById("cp-next").hidden = due.length > 0;
  const next = cps.find((c) => c.state === "upcoming");
  document.getElementById("cp-panel").hidden = !cps.length;
  document.getElementById("cp-next-text").textContent = next ? next.text : (cps.length ? "none left" : "—");
  document.getElementById("cp-next-in").textContent = next
    ? `at ${fmt(next.at_s)} · in ${fmt(Math.max(0, next.at_s - elapsed))}` : "";
  const allowed = new Set((s && s.allowed) || []);
  document.getElementById("btn-ack").disabled = !allowed.has("ack");
  document.getElementById("btn-ack-2").disabled = !allowed.has("ack");
  document.getElementById("btn-observe").disabled = !allowed.has("observe");
}

document.addEventListener("session-status", (ev) => {
  cpStatus = ev.detail;
  cpShownAt = Date.now();
  cpRender();
});

document.addEventListener("DOMContentLoaded", () => {
  setInterval(cpRender, 1000);
  for (const id of ["btn-ack", "btn-ack-2"]) {
    document.getElementById(id).addEventListener("click", () => control({ action: "ack" }));
  }
  const kind = document.getElementById("obs-kind");
  const value = document.getElementById("obs-value");
  kind.addEventListener("change", () => { value.placeholder = EXAMPLES[kind.value] || ""; });
  document.getElementById("obs-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = value.value.trim();
    if (!text) { say(`type the ${kind.value} value first, ${EXAMPLES[kind.value] || ""}`, false); return; }
    if (await control({ action: "observe", kind: kind.value, value: text })) value.value = "";
  });
  cpRender();
});
