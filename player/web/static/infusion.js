// The infusion's start and end on the chair page: two buttons (each asks for a second tap, like
// Stop: a tap cannot be undone), what was recorded, and whether the recovery hour is anchored.
// Loaded after app.js (shares its control(), $(), common.js's fmt() and the "status" event).
"use strict";

let infArmed = null;      // the button waiting for its second tap
let infArmedUntil = 0;

function infLabel(id) {
  return id === "btn-infusion-start" ? "Infusion started" : "Infusion ended";
}

function infDisarm() {
  if (infArmed) { $(infArmed).classList.remove("confirm"); $(infArmed).textContent = infLabel(infArmed); }
  infArmed = null;
}

function renderInfusion(s) {
  const inf = s.infusion || { state: "not_started" };
  const running = !!s.session_id;
  const allowed = (s.allowed || []).includes("infusion");
  $("infusion-panel").hidden = !running;
  $("btn-infusion-start").disabled = !allowed || inf.state !== "not_started";
  $("btn-infusion-end").disabled = !allowed || inf.state !== "running";
  const state = $("infusion-state");
  if (inf.state === "running") state.textContent = `Infusion running since ${fmt(inf.started_s)}`;
  else if (inf.state === "ended") {
    state.textContent = `Infusion ${fmt(inf.started_s)} to ${fmt(inf.ended_s)} (${fmt(inf.ended_s - inf.started_s)})`;
  } else state.textContent = "Infusion not started";
  const until = inf.until;
  const box = $("infusion-until");
  box.hidden = !until;
  if (until) {
    const margin = `${Math.round(until.margin_s / 60)} min`;
    box.textContent = until.anchored
      ? `${until.phase}: until at least ${fmt(until.earliest_end_s)} (${margin} after the infusion's end)`
      : `${until.phase}: not anchored: the infusion's end is not recorded, the planned duration holds`;
    box.classList.toggle("warn", !until.anchored);
  }
}

function onInfusion(ev) {
  const id = ev.currentTarget.id;
  if (infArmed !== id || Date.now() > infArmedUntil) {
    infDisarm();
    infArmed = id;
    infArmedUntil = Date.now() + 5000;
    ev.currentTarget.classList.add("confirm");
    ev.currentTarget.textContent = "Tap again to record";
    setTimeout(() => { if (Date.now() > infArmedUntil) infDisarm(); }, 5100);
    return;
  }
  infDisarm();
  control({ action: "infusion", event: id === "btn-infusion-start" ? "start" : "end" });
}

document.addEventListener("status", (e) => renderInfusion(e.detail));
document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["btn-infusion-start", "btn-infusion-end"]) $(id).addEventListener("click", onInfusion);
});
