// Calmer music on demand: one button, toggling between the phase's calmer music and the plan's.
// Loaded after app.js (shares its control(), common.js's fmt() and the "status" event it fires on every render).
"use strict";

function renderCalmer(s) {
  const b = $("btn-calmer");
  const on = !!s.calmer;
  const allowed = (s.allowed || []).includes("calmer");
  b.textContent = on ? "Back to the plan's music" : "Calmer music";
  b.classList.toggle("on", on);
  b.disabled = !allowed || (!on && !s.calmer_available);
  b.title = allowed && !on && !s.calmer_available ? "this phase has no calmer music (see the playlist's calmer: key)" : "";
  $("calmer-minutes").hidden = on;
  $("calmer-minutes").disabled = b.disabled;
  const state = $("calmer-state");
  state.hidden = !on;
  if (on) {
    const until = s.calmer.until_s === null ? "until the phase ends or you switch back" : `until ${fmt(s.calmer.until_s)}`;
    state.textContent = `Calmer music since ${fmt(s.calmer.since_s)}, ${until}`;
  }
}

document.addEventListener("status", (e) => renderCalmer(e.detail));
document.addEventListener("DOMContentLoaded", () => {
  $("btn-calmer").addEventListener("click", () => {
    if (status && status.calmer) { control({ action: "calmer", off: true }); return; }
    const minutes = $("calmer-minutes").value;
    control(minutes ? { action: "calmer", minutes: Number(minutes) } : { action: "calmer" });
  });
});
