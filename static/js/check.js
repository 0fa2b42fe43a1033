/* Preflight participant page: runs the steps in page order, posts each step's raw measurements to
 * POST /c/<token>/results, shows the server's verdicts. Step API: docs/participant-page.md; failed posts
 * stay queued (memory + localStorage) and are retried with backoff. */
(function () {
"use strict";
var P = (window.Preflight = window.Preflight || {});
var impls = {}, config = null, S = {}, queue = [], audio = null, state = fresh(null);

function fresh(runId) {
  return { runId: runId, attempts: {}, controller: new AbortController(), running: false, flowDone: false, pending: 0, summary: null, shown: false };
}
function $(sel, root) { return (root || document).querySelector(sel); }
function $$(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
function fmt(text, values) { return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return values[k] != null ? values[k] : m; }); }
function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
function randomId() {
  return Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(12)), function (b) { return (b + 256).toString(16).slice(1); }).join("");
}
function stepEl(name) { return $('[data-check="' + name + '"]'); }
function csrf() { var m = $('meta[name="csrf-token"]'); return m ? m.content : ""; }
function setStatus(el, text) {
  var s = el && $('[data-role="status"]', el);
  // Only a change: the status line is a live region, an unchanged text must not be read again.
  if (s && s.textContent !== (text || "")) s.textContent = text || "";
}
var announced = { at: 0 };
/* Says `text` through the page's polite announcer; verdicts landing together are read together. */
function announce(text) {
  var box = $('[data-role="announcer"]');
  if (!box || !text) return;
  var t = performance.now();
  box.textContent = t - announced.at < 1000 && box.textContent ? box.textContent + " " + text : text;
  announced.at = t;
}
function notice(text) { var b = $('[data-role="connection"]'); if (b && b.textContent !== text) b.textContent = text || ""; }
function key() { return "pf-results:" + config.token; }
function active() { return config.steps.filter(function (n) { return stepEl(n) && impls[n] && config.judged.indexOf(n) >= 0; }); }

function markAvailability() {
  config.steps.forEach(function (name) {
    var el = stepEl(name);
    if (!el) return;
    var ok = !!impls[name] && config.judged.indexOf(name) >= 0;
    el.classList.toggle("is-unavailable", !ok);
    if (!ok) setStatus(el, S.unavailable);
    else if (!el.hasAttribute("data-verdict") && !el.classList.contains("is-running")) setStatus(el, S.waiting);
  });
}

P.registerStep = function (name, impl) { impls[name] = impl; if (config) markAvailability(); };
/* True while a run (or a re-run) is going: a step can only be run again after it. */
P.isRunning = function () { return state.running; };
P.format = fmt;
/* One AudioContext, made during a click (autoplay rules). */
P.audio = function () {
  var Ctor = window.AudioContext || window.webkitAudioContext;
  if (!Ctor) return null;
  if (!audio) { try { audio = new Ctor(); } catch (e) { return null; } }
  if (audio.state === "suspended") audio.resume().catch(function () {});
  return audio;
};

function progress(name, fraction) {
  var steps = active(), i = steps.indexOf(name), bar = $('[data-role="progress"]'), label = $('[data-role="progress-label"]');
  if (i < 0) return;
  var value = Math.round((100 * (i + Math.max(0, Math.min(1, fraction)))) / steps.length);
  if (value >= Number(bar.value || 0)) bar.value = value;
  var title = ($("h2", stepEl(name)) || {}).textContent || name;
  var text = fmt(S.progress, { n: i + 1, total: steps.length, name: title });
  if (label.textContent !== text) label.textContent = text;
}

function context(name, el) {
  var hidden = document.hidden;
  function onVisibility() { if (document.hidden) hidden = true; }
  document.addEventListener("visibilitychange", onVisibility);
  var ctx = {
    name: name, el: el, token: config.token, runId: state.runId, csrf: csrf(), signal: state.controller.signal,
    attempt: (state.attempts[name] || 0) + 1, config: config, strings: S, audio: P.audio,
    progress: function (fraction, label) { progress(name, fraction); if (label) setStatus(el, label); },
    status: function (text) { setStatus(el, text); },
    metric: function (metric, value, text) {
      var live = $('[data-role="live"]', el) || el, item = $('[data-metric="' + metric + '"]', live);
      if (!item) {
        item = live.appendChild(document.createElement("span"));
        item.className = "metric";
        item.setAttribute("data-metric", metric);
      }
      item.setAttribute("data-value", String(value));
      item.textContent = text != null ? text : String(value);
    },
    done: function () { document.removeEventListener("visibilitychange", onVisibility); }
  };
  Object.defineProperty(ctx, "hidden", { get: function () { return hidden || document.hidden; } });
  return ctx;
}

function clear(el, role) { var node = $('[data-role="' + role + '"]', el); if (node) node.textContent = ""; return node; }
function reset(el) {
  el.removeAttribute("data-verdict");
  el.classList.remove("has-error");
  clear(el, "verdict");
  clear(el, "live");
  setStatus(el, S.waiting);
}
function busy(el, on) {
  el.classList.toggle("is-running", on);
  if (on) el.setAttribute("aria-busy", "true"); else el.removeAttribute("aria-busy");
}
function rerunButtons(enabled) {
  $$('[data-action="rerun"]').forEach(function (b) {
    var el = stepEl(b.getAttribute("data-step"));
    b.hidden = !el || !(el.hasAttribute("data-verdict") || el.classList.contains("has-error"));
    b.disabled = !enabled;
  });
}

/* Runs a step; its post is queued, not waited for. */
async function runStep(name, focus) {
  var el = stepEl(name), impl = impls[name];
  if (!el || !impl) return;
  reset(el);
  busy(el, true);
  setStatus(el, S.running);
  progress(name, 0);
  var ctx = context(name, el), raw;
  try {
    raw = await impl.run(ctx);
  } catch (err) {
    raw = err;
  }
  ctx.done();
  busy(el, false);
  if (ctx.signal.aborted) return;
  if (raw instanceof Error) {
    if (window.console) console.error("preflight step " + name, raw);
    el.classList.add("has-error");
    setStatus(el, S.step_error);
    return;
  }
  progress(name, 1);
  if (raw == null) { setStatus(el, S.unavailable); return; }
  state.attempts[name] = ctx.attempt;
  var body = { run_id: state.runId, checks: {}, context: { tab_hidden: !!ctx.hidden, attempts: {} } };
  body.checks[name] = raw;
  body.context.attempts[name] = ctx.attempt;
  setStatus(el, S.sending);
  deliver(body, focus);
}

async function runAll() {
  state.controller.abort();
  var mine = (state = fresh(randomId()));
  mine.running = true;
  $$("[data-check]").forEach(reset);
  markAvailability();
  var summary = $('[data-role="summary"]');
  summary.hidden = true;
  summary.textContent = "";
  summary.removeAttribute("data-overall");
  $('[data-role="progress"]').value = 0;
  $('[data-action="start"]').hidden = true;
  $('.check-intro [data-action="restart"]').hidden = false;
  $('[data-role="progress-label"]').focus(); // the start button is gone
  rerunButtons(false);
  var steps = active();
  for (var i = 0; i < steps.length && !mine.controller.signal.aborted; i++) await runStep(steps[i], false);
  if (mine !== state) return;
  mine.running = false;
  mine.flowDone = true;
  $('[data-role="progress"]').value = 100;
  $('[data-role="progress-label"]').textContent = S.progress_done;
  rerunButtons(true);
  showSummary(true);
}

/* Runs one step again. `options.keepFocus`: the element that keeps focus (a device list), else
 * the step takes it (its button gets disabled) and the verdict after. */
async function rerun(name, options) {
  if (state.running || !state.runId) return;
  var mine = state, keep = options && options.keepFocus;
  mine.running = true;
  if (keep) keep.focus();
  else stepEl(name).focus();
  rerunButtons(false);
  await runStep(name, !keep);
  if (mine !== state) return;
  mine.running = false;
  rerunButtons(true);
}

/* ---- delivery -------------------------------------------------------------------------- */
function save() {
  try {
    if (queue.length) localStorage.setItem(key(), JSON.stringify(queue.map(function (q) { return { body: q.body }; })));
    else localStorage.removeItem(key());
  } catch (e) { /* storage off: memory still retries */ }
}
function current(item) { return item.body.run_id === state.runId; }
function retryable(status) { return status === 408 || status === 425 || status === 429 || status >= 500; }
function backoff(tries, response) {
  var after = response && Number(response.headers.get("Retry-After"));
  return after > 0 ? Math.min(after, 60) * 1000 : Math.min(30000, 1000 * Math.pow(2, tries - 1)) * (0.8 + 0.4 * Math.random());
}

function deliver(body, focus, restored) {
  var item = { body: body, tries: 0, focus: focus, restored: restored };
  queue.push(item);
  save();
  if (current(item)) state.pending++;
  send(item);
}

async function send(item) {
  for (;;) {
    var response = null, data = null;
    try {
      response = await fetch(config.resultsUrl, {
        method: "POST", body: JSON.stringify(item.body),
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() }
      });
      data = await response.json();
    } catch (e) { /* offline, or not JSON: retry */ }
    if (response && !retryable(response.status) && (data || !response.ok)) {
      queue = queue.filter(function (q) { return q !== item; });
      save();
      if (current(item)) state.pending = Math.max(0, state.pending - 1);
      if (!queue.length && $('[data-role="connection"]').textContent) notice(item.tries || item.restored ? S.sent_later : "");
      return response.ok ? delivered(item, data) : rejected(item, data);
    }
    item.tries++;
    notice(item.tries > 3 ? S.queued_long : S.queued);
    if (current(item)) Object.keys(item.body.checks).forEach(function (n) { setStatus(stepEl(n), S.queued); });
    await sleep(backoff(item.tries, response));
  }
}

function delivered(item, data) {
  if (!current(item) || data.run_id !== state.runId) return;
  Object.keys(data.results || {}).forEach(function (name) {
    var result = data.results[name], el = stepEl(name);
    if (!el) return;
    clear(el, "live");
    var box = clear(el, "verdict") || el;
    box.innerHTML = result.html; // rendered and escaped by the server
    el.setAttribute("data-verdict", result.verdict);
    setStatus(el, S.done);
    var title = ($("h2", el) || {}).textContent || name, said = $(".verdict-title", box);
    announce(fmt(S.verdict_announced, { step: title.trim(), verdict: said ? said.textContent.trim().replace(/\s+/g, " ") : "" }));
    if (item.focus) box.focus();
  });
  var overall = data.overall;
  if (overall && (!state.summary || overall.missing.length <= state.summary.missing.length)) state.summary = overall;
  if (!state.running) rerunButtons(true);
  showSummary(false);
}

function rejected(item, data) {
  var ours = data && /^(invalid_results|too_large|unsupported_media_type)$/.test(data.error || "");
  var text = ours ? fmt(S.rejected, { message: data.message }) : S.expired;
  if (!current(item)) { notice(text); return; }
  Object.keys(item.body.checks).forEach(function (n) { stepEl(n).classList.add("has-error"); setStatus(stepEl(n), text); });
  if (!state.running) rerunButtons(true);
}

/* The summary: once the run is done and every post answered. */
function showSummary(focus) {
  if (!state.flowDone || state.pending > 0 || !state.summary) return;
  var summary = $('[data-role="summary"]');
  summary.innerHTML = state.summary.html;
  summary.setAttribute("data-overall", state.summary.verdict);
  summary.hidden = false;
  if (focus || !state.shown) $("#summary-title", summary).focus();
  state.shown = true;
}

/* Results an earlier visit could not send (stored once by the server). */
function restore() {
  var saved;
  try { saved = JSON.parse(localStorage.getItem(key()) || "[]"); } catch (e) { saved = []; }
  if (!Array.isArray(saved) || !saved.length) return;
  localStorage.removeItem(key());
  saved.forEach(function (entry) { if (entry && entry.body) deliver(entry.body, false, true); });
  notice(S.queued);
}

/* Time zone: cookie pf_tz for the server, and the start shown in this zone now. */
function timeZone() {
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone, lang = document.documentElement.lang;
    if (!/^[\w+\-\/]{1,64}$/.test(tz)) return;
    if ((document.cookie.match(/(?:^|; )pf_tz=([^;]*)/) || [])[1] !== tz) document.cookie = "pf_tz=" + tz + "; path=/; max-age=31536000; samesite=lax";
    var format = new Intl.DateTimeFormat(lang, { weekday: "long", year: "numeric", month: "long", day: "numeric", hour: "numeric",
      minute: "2-digit", timeZoneName: "short", timeZone: tz });
    $$("time[data-format]").forEach(function (node) { node.textContent = format.format(new Date(node.getAttribute("datetime"))); });
  } catch (e) { /* keep the server's text */ }
}

function onClick(event) {
  var target = event.target.closest && event.target.closest("[data-action]");
  if (!target || target.disabled) return;
  var action = target.getAttribute("data-action");
  if (action === "start" || action === "restart") { P.audio(); runAll(); }
  else if (action === "rerun") { P.audio(); rerun(target.getAttribute("data-step")); }
}

function init() {
  var node = document.getElementById("pf-config");
  if (!node) return;
  config = P.config = JSON.parse(node.textContent);
  S = config.strings || {};
  P.rerun = rerun;
  document.addEventListener("click", onClick);
  markAvailability();
  timeZone();
  restore();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
})();
