// Dim (night) mode for a dark treatment room: staff toggle it, this browser remembers it.
// Loaded in <head> without defer, so a dimmed page is dim from its first paint (no bright flash).
"use strict";

const DIM_KEY = "session-player.dim";

function dimStored() {
  try { return localStorage.getItem(DIM_KEY) === "1"; } catch (e) { return false; }
}

function setDim(on) {
  document.documentElement.classList.toggle("dim", on);
  try { localStorage.setItem(DIM_KEY, on ? "1" : "0"); } catch (e) { /* private mode: this page only */ }
  const b = document.getElementById("btn-dim");
  if (b) { b.setAttribute("aria-pressed", on ? "true" : "false"); b.textContent = on ? "Bright" : "Dim"; }
}

document.documentElement.classList.toggle("dim", dimStored());
document.addEventListener("DOMContentLoaded", () => {
  setDim(dimStored());
  document.getElementById("btn-dim").addEventListener("click", () => setDim(!document.documentElement.classList.contains("dim")));
});
