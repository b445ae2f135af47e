// Nursing station: one tile per chair, live over Server-Sent Events, most urgent first.
// No framework and no build step: the clinic LAN may be offline. $, fmt() and follow() are common.js's.
"use strict";

const ACTIVE = new Set(["playing", "paused", "faulted"]);
let tiles = new Map();   // slug -> {view, at: performance.now() when received}
let drawPending = false;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Seconds since the view arrived: running clocks move on between updates.
function age(entry) { return (performance.now() - entry.at) / 1000; }

function timeLeft(entry) {
  const s = entry.view.status || {};
  if (s.phase_remaining_s === null || s.phase_remaining_s === undefined) return null;
  return s.state === "playing" ? s.phase_remaining_s - age(entry) : s.phase_remaining_s;
}

// The level heard and the cap on one scale: loudness relative to the target (dBA when calibrated).
function levelText(s) {
  const one = (dbv, dba) => (typeof dba === "number" ? `${dba.toFixed(1)} dBA` : `${dbv.toFixed(1)} dB`);
  const cap = typeof s.max_db === "number" ? ` · cap ${one(s.max_db, s.max_dba)}` : "";
  return `Heard ${one(s.level_db, s.heard_dba)}${cap}`;
}

function renderTile(entry) {
  const v = entry.view;
  const s = v.status || {};
  const tile = el("article", "tile");
  tile.id = "chair-" + v.slug;
  tile.dataset.slug = v.slug;
  const urgency = ["fault", "due", "running", "idle", "gone"][v.urgency] || "idle";
  tile.classList.add(urgency);
  const top = el("div", "top");
  const room = el("span", "room");
  if (typeof v.url === "string" && /^https?:\/\//i.test(v.url)) {   // the server checks too: never javascript:
    const a = el("a", "", v.room); a.href = v.url; a.target = "_blank"; a.rel = "noopener noreferrer";
    room.appendChild(a);
  } else {
    room.textContent = v.room;
  }
  top.appendChild(room);
  const state = s.state || (v.online === false ? "offline" : "—");
  top.appendChild(el("span", "pill state " + state, state));
  tile.appendChild(top);
  // A chair's status is its own word: a field of the wrong shape shows as text, never stops the board.
  if (Array.isArray(s.faults) && s.faults.length) {
    tile.appendChild(el("div", "faults", s.faults.map(String).join("; ")));
  }
  const bt = s.bluetooth;   // a chair with Bluetooth headphones
  if (bt) {
    const battery = bt.battery_percent === null || bt.battery_percent === undefined ? "" : `, battery ${bt.battery_percent} %`;
    tile.appendChild(el("div", "headphones", `Headphones ${bt.connected ? "connected" : "NOT CONNECTED"}${battery}`));
  }
  if (ACTIVE.has(s.state)) {
    tile.appendChild(el("div", "phase", s.phase || "—"));
    const left = el("div", "left");
    left.appendChild(el("span", "label", "Phase left "));
    left.appendChild(el("b", "phase-left", fmt(timeLeft(entry))));
    tile.appendChild(left);
    if (typeof s.level_db === "number") tile.appendChild(el("div", "level", levelText(s)));
  }
  const cp = v.next_checkpoint;
  if (cp) {
    const inS = cp.in_s === null ? null : (s.state === "playing" ? cp.in_s - age(entry) : cp.in_s);
    const text = cp.state === "due" ? `DUE: ${cp.text}` : `Next: ${cp.text} in ${fmt(inS)}`;
    tile.appendChild(el("div", "checkpoint " + cp.state, text));
  }
  const inf = v.infusion;   // the server built the text from the chair's status (player/station/infusion_tile.py)
  if (inf && typeof inf.text === "string") tile.appendChild(el("div", "infusion " + String(inf.state), inf.text));
  if (v.last_event) tile.appendChild(el("div", "last", v.last_event.description || v.last_event.type));
  const seenAgo = v.last_seen_s === null ? null : v.last_seen_s + age(entry);
  let seen;
  if (v.online === false) {
    seen = "OFFLINE" + (seenAgo === null ? (typeof s.sent_at === "string" ? ` (last status ${s.sent_at.slice(11, 16)})` : "")
                                          : ` · last seen ${fmt(seenAgo)} ago`);
  } else {
    seen = "online" + (seenAgo === null ? "" : ` · seen ${fmt(seenAgo)} ago`);
  }
  tile.appendChild(el("div", "seen" + (v.online === false ? " offline" : ""), seen + " · " + v.slug));
  return tile;
}

function sortKey(entry) {
  const left = timeLeft(entry);
  return [entry.view.urgency, left === null ? Infinity : left, entry.view.room.toLowerCase()];
}

function compare(a, b) {
  const ka = sortKey(a), kb = sortKey(b);
  for (let i = 0; i < ka.length; i++) { if (ka[i] < kb[i]) return -1; if (ka[i] > kb[i]) return 1; }
  return 0;
}

function patch(old, fresh) {
  if (old.className !== fresh.className) old.className = fresh.className;
  const now = [...old.children], next = [...fresh.children];
  if (now.length !== next.length) { old.replaceChildren(...next); return; }
  next.forEach((line, i) => { if (now[i].outerHTML !== line.outerHTML) old.replaceChild(line, now[i]); });
}

function render() {
  const entries = [...tiles.values()].sort(compare);
  const box = $("tiles");
  // A tile stays the same node and only its changed lines are replaced (links keep focus, nothing flickers).
  const nodes = entries.map((entry) => {
    const fresh = renderTile(entry);
    const old = document.getElementById(fresh.id);
    if (!old) return fresh;
    patch(old, fresh);
    return old;
  });
  if (nodes.some((node, i) => box.children[i] !== node) || box.children.length !== nodes.length) {
    box.replaceChildren(...nodes);
  }
  $("empty").hidden = entries.length > 0;
  const due = entries.filter((e) => e.view.urgency <= 1).length;
  $("count").textContent = `${entries.length} chair${entries.length === 1 ? "" : "s"}` + (due ? ` · ${due} need attention` : "");
}

// Many chairs may report within one frame: draw once per frame.
function scheduleRender() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; render(); });
}

function setBroker(up) {
  $("broker").textContent = up ? "broker connected" : "broker unreachable";
  $("broker").classList.toggle("up", !!up);
}

function all(data) {
  $("title").textContent = data.title;
  document.title = data.title;
  setBroker(data.broker);
  const now = performance.now();
  tiles = new Map(data.chairs.map((v) => [v.slug, { view: v, at: now }]));
  render();
}

function connect() {
  follow({
    hello: all,
    chairs: all,
    chair: (v) => {
      tiles.set(v.slug, { view: v, at: performance.now() });
      scheduleRender();
    },
    broker: (data) => setBroker(data.broker),
  }, "/api/chairs", {
    down: () => {
      $("broker").textContent = "station unreachable";
      $("broker").classList.remove("up");
    },
  });
}

document.addEventListener("DOMContentLoaded", () => {
  connect();
  setInterval(render, 1000);   // clocks and "seen ago" move on between updates
});
