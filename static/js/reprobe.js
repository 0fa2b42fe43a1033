/* Re-probe: loaded only when the server offers one (config.reprobe, preflight/participant/page.py).
 * On the participant's click, a short network check (network.js, QUICK plan: connect and a few
 * round trips, no rate) goes to POST /c/<token>/probe; the server compares it with the last
 * complete check and answers in plain words, shown as they come. The page decides nothing. */
(function () {
"use strict";

function hex() {
  return Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(8)), function (b) {
    return (b + 256).toString(16).slice(1);
  }).join("");
}

function start() {
  var section = document.querySelector("[data-reprobe]");
  var configEl = document.getElementById("pf-config");
  if (!section || !configEl || !window.PreflightNetProbe) return;
  var cfg = JSON.parse(configEl.textContent), probe = cfg.reprobe;
  if (!probe) return;
  // No WebRTC here (e.g. WebKitGTK builds): the probe could only fail to connect, and the server would
  // call that "worse than when you tested", a false verdict about the network. Offer nothing; the
  // full check tells the participant their browser cannot make video calls.
  if (!window.RTCPeerConnection) { section.hidden = true; return; }
  var button = section.querySelector('[data-action="reprobe"]');
  var out = section.querySelector('[data-role="reprobe-result"]');
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";

  function show(text, outcome) {
    out.textContent = text;
    out.setAttribute("data-reprobe-result", outcome);
  }

  button.addEventListener("click", async function () {
    button.disabled = true;
    show(probe.strings.running, "running");
    // A hard stop a little after the planned 5 s: a stuck connection must not keep the button off.
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, probe.ms + 3000);
    var runId = "probe-" + hex();
    try {
      var result = await window.PreflightNetProbe({
        token: cfg.token, runId: runId, csrf: csrf, signal: controller.signal, el: section, strings: cfg.strings
      });
      var response = await fetch(probe.url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
        body: JSON.stringify({ run_id: runId, checks: { network: result } })
      });
      var data = await response.json();
      if (!response.ok) { show(data.message || probe.strings.failed, "error"); return; }
      show(data.message, data.regressed ? "worse" : data.changed ? "different" : data.changed === false ? "same" : "unknown");
    } catch (e) {
      show(probe.strings.failed, "error");
    } finally {
      clearTimeout(timer);
      button.disabled = false;
    }
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
}());
