// What the chair's staff page and the nursing station share; each page loads it before its own script.
// No framework and no build step: the clinic LAN may be offline.
"use strict";

const $ = (id) => document.getElementById(id);

// Seconds as m:ss or h:mm:ss (a leading minus when negative); "—" when unknown.
function fmt(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
  const neg = seconds < 0;
  let s = Math.round(Math.abs(seconds));
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (neg ? "−" : "") + (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
}

// The live stream (/api/events): `handlers` maps each event's name to a function of its data.
// The browser reconnects by itself, unless the server refused (e.g. 401 once the token changed):
// then `probe` is fetched; a 401 reloads the page (the login form), anything else retries in 3 s.
// `up` runs when the stream opens, `down` when it breaks.
function follow(handlers, probe, { up, down } = {}) {
  let source = null;
  function open() {
    if (source) source.close();
    source = new EventSource("/api/events");
    if (up) source.addEventListener("open", up);
    for (const [name, handle] of Object.entries(handlers)) {
      source.addEventListener(name, (e) => handle(JSON.parse(e.data)));
    }
    source.addEventListener("error", () => {
      if (down) down();
      if (source.readyState === EventSource.CLOSED) {
        fetch(probe, { credentials: "same-origin" })
          .then((r) => { if (r.status === 401) location.reload(); })
          .catch(() => {})
          .finally(() => setTimeout(open, 3000));
      }
    });
  }
  open();
}

// Fill `box` with one labelled checkbox per item (ids PREFIX-0, PREFIX-1, ...), each calling onChange.
function fillCheckboxes(box, items, prefix, onChange) {
  box.replaceChildren();
  items.forEach((item, i) => {
    const label = document.createElement("label");
    const check = document.createElement("input");
    check.type = "checkbox";
    check.value = item;
    check.id = `${prefix}-${i}`;
    check.addEventListener("change", onChange);
    label.append(check, " ", item);
    box.appendChild(label);
  });
}
