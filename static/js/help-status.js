/* Preflight: keeps the participant's help status (#help-status) up to date while a request is open.
 *
 * The section names what to poll: data-help-poll (the status URL with ?v=, the version shown) and
 * data-help-poll-every (seconds). The server answers 204 while nothing changed: nothing is touched,
 * so nothing is read out again and focus stays where it is. A 200 brings the new section, swapped in
 * whole, and the short status line (#help-status-announce, a polite live region outside the section)
 * takes its new text once. The new section names the next URL, or none once the request is resolved:
 * then the polling stops. No poll while the tab is hidden, one as soon as it is shown again; failures
 * never throw and make the next try wait longer (up to 5 minutes). No dependency, no inline script. */
(function () {
"use strict";
var MAX_DELAY = 5 * 60 * 1000, MIN_GAP = 5000;
var section = document.getElementById("help-status");
if (!section || !section.getAttribute("data-help-poll") || !window.fetch || !window.DOMParser) return;

var every = 1000 * (Number(section.getAttribute("data-help-poll-every")) || 30);
var timer = null, busy = false, failures = 0, last = 0;

function url() { return section.getAttribute("data-help-poll"); }
function delay() { return Math.min(MAX_DELAY, every * Math.pow(2, failures)); }
function schedule(ms) {
  clearTimeout(timer);
  timer = url() && !document.hidden ? setTimeout(poll, ms) : null;
}

/* Says `text` once through the status line; the same text again is cleared first, so it is read. */
function announce(text) {
  var line = document.getElementById("help-status-announce");
  if (!line) {
    line = document.createElement("p");
    line.id = "help-status-announce";
    line.className = "visually-hidden";
    line.setAttribute("role", "status");
    section.parentNode.insertBefore(line, section.nextSibling);
  }
  if (line.textContent !== text) { line.textContent = text; return; }
  line.textContent = "";
  setTimeout(function () { line.textContent = text; }, 100);
}

/* Puts the answer's section in place of ours; focus inside it goes back to the element with the same id. */
function swap(html) {
  var doc = new DOMParser().parseFromString(html, "text/html");
  var fresh = doc.getElementById("help-status");
  if (!fresh) throw new Error("no #help-status in the answer");
  var focused = document.activeElement;
  var focusId = focused && section.contains(focused) ? focused.id : "";
  var next = document.importNode(fresh, true);
  section.parentNode.replaceChild(next, section);
  section = next;
  if (focusId && document.getElementById(focusId)) document.getElementById(focusId).focus({ preventScroll: true });
  var line = doc.getElementById("help-status-announce");
  var text = line ? line.textContent.trim() : "";
  if (text) announce(text);
}

function poll() {
  timer = null;
  if (busy || !url() || document.hidden) return;
  busy = true;
  last = Date.now();
  fetch(url(), { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
    .then(function (response) {
      if (response.status === 204) return null;
      if (!response.ok || response.redirected) throw new Error("help status: HTTP " + response.status);
      return response.text();
    })
    .then(function (html) {
      if (html !== null) swap(html);
      failures = 0;
    })
    .catch(function () { failures += 1; })  // offline, server busy, link expired: try again later
    .then(function () {
      busy = false;
      schedule(delay());
    });
}

document.addEventListener("visibilitychange", function () {
  if (document.hidden) { clearTimeout(timer); timer = null; return; }
  // Back on the tab: look once now, unless we just did or are waiting after a failure.
  var since = Date.now() - last;
  if (failures) schedule(delay());
  else if (since >= MIN_GAP) poll();
  else schedule(every - since);
});

schedule(every);
})();
