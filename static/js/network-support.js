/* The network step's plumbing in the browser: timers and requests, the words and figures shown
 * (Display), facts about the browser's side of the connection, the signalling request and the
 * plain-HTTPS fallback. No measurement rules here (network-stats.js) and no phases (network.js).
 * Exposed as window.PreflightNetSupport. */
(function () {
"use strict";

var S = window.PreflightNetStats;

function now() { return performance.now(); }

function sleep(ms, signal) {
  return new Promise(function (resolve, reject) {
    function onAbort() { clearTimeout(id); reject(new DOMException("aborted", "AbortError")); }
    if (signal && signal.aborted) return onAbort();
    var id = setTimeout(function () {
      if (signal) signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
  });
}

function closePc(pc) {
  try { pc.close(); } catch (e) { /* already closed */ }
}

function post(ctx, url, type, body, encoding) {
  var headers = { "X-CSRFToken": ctx.csrf || "", "Content-Type": type, "Accept": "application/json" };
  if (encoding) headers["Content-Encoding"] = encoding;
  return fetch(url, { method: "POST", credentials: "same-origin", signal: ctx.signal, body: body, headers: headers });
}

/* `text` gzipped, where the browser can (CompressionStream); null where it cannot. */
async function gzipped(text) {
  if (typeof CompressionStream !== "function") return null;
  try {
    var stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
    return await new Response(stream).blob();
  } catch (e) {
    return null;
  }
}

function get(ctx, url) {
  return fetch(url, { cache: "no-store", credentials: "same-origin", signal: ctx.signal });
}

/* ===== What the participant sees ========================================================== */

/* Progress messages and live figures, in the page's language. The words come from the step's
 * template ([data-msg] progress messages, [data-figure] patterns with a {value} placeholder);
 * numbers are formatted for the page's locale. */
function Display(ctx) {
  this.ctx = ctx;
  this.step = ctx.el || document.querySelector('[data-check="network"]');
  this.bar = this.step && this.step.querySelector('[data-role="step-progress"]');
  this.locale = document.documentElement.lang || undefined;
  this.shown = 0;   // the progress shown so far: it never moves back
}

Display.prototype.text = function (selector, fallback) {
  var el = this.step && this.step.querySelector(selector);
  return el ? el.textContent.trim() : fallback;
};

/* Progress: the step's bar, the page's progress card and the step's status line. A phase that
 * grows longer as it runs (a lossy idle phase, twice its length and more after a crowded fast
 * half) holds the bar where it is rather than moving it back. */
Display.prototype.say = function (key, fraction) {
  var shown = this.shown = Math.max(this.shown, Math.max(0, Math.min(1, fraction)));
  if (this.bar) this.bar.value = Math.round(100 * shown);
  if (this.ctx.progress) this.ctx.progress(shown, this.text('[data-msg="' + key + '"]', key));
};

Display.prototype.number = function (value, digits) {
  try {
    return new Intl.NumberFormat(this.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  } catch (e) {
    return value.toFixed(digits);
  }
};

/* A live figure: `name` is its data-metric, `pattern` the [data-figure] that words it. */
Display.prototype.figure = function (name, value, pattern, shown, digits) {
  if (!this.ctx.metric || value == null) return;
  var words = this.text('[data-figure="' + pattern + '"]', "{value}");
  this.ctx.metric(name, value, words.replace("{value}", this.number(shown, digits)));
};

Display.prototype.ms = function (name, value, ms) {
  this.figure(name, value, name, Math.round(ms), 0);
};

Display.prototype.kbps = function (name, value, kbps) {
  if (kbps >= 1000) this.figure(name, value, name + ":mbit", kbps / 1000, 1);
  else this.figure(name, value, name + ":kbit", Math.round(kbps), 0);
};

/* ===== Facts about the browser's side ===================================================== */

/* Hidden tab or throttled timers make the figures untrustworthy: watch the timer gaps. */
function watchThrottling(ctx) {
  var maxGap = 0, last = now();
  var timer = setInterval(function () {
    var t = now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
  }, 100);
  return function stop() {
    clearInterval(timer);
    var gap = Math.max(maxGap - 100, 0);
    return { hidden: !!ctx.hidden, throttled: gap > 1000, max_timer_gap_ms: S.round(gap) };
  };
}

/* How many candidates of each type and protocol the offers carry. */
function countCandidates(pcs) {
  var counts = { host: 0, srflx: 0, prflx: 0, relay: 0, udp: 0, tcp: 0 };
  pcs.forEach(function (pc) {
    var sdp = (pc.localDescription && pc.localDescription.sdp) || "";
    sdp.split(/\r?\n/).forEach(function (line) {
      var m = /^a=candidate:\S+ \d+ (\w+) \d+ \S+ \d+ typ (\w+)/i.exec(line);
      if (!m) return;
      var protocol = m[1].toLowerCase(), type = m[2].toLowerCase();
      if (counts[type] !== undefined) counts[type] += 1;
      if (counts[protocol] !== undefined) counts[protocol] += 1;
    });
  });
  return counts;
}

function waitGathering(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve(true);
  return new Promise(function (resolve) {
    var id = setTimeout(function () { resolve(false); }, ms);
    pc.addEventListener("icegatheringstatechange", function () {
      if (pc.iceGatheringState === "complete") { clearTimeout(id); resolve(true); }
    });
  });
}

function oneOf(value, allowed) { return allowed.indexOf(value) >= 0 ? value : null; }

/* The candidate pair the control connection uses (types and protocols only, no addresses). */
async function selectedPair(pc) {
  try {
    var report = await pc.getStats();
    var pair = null, pairId = null;
    report.forEach(function (r) { if (r.type === "transport" && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId; });
    if (pairId) pair = report.get(pairId);
    if (!pair) {
      report.forEach(function (r) {
        if (!pair && r.type === "candidate-pair" && r.nominated && r.state === "succeeded") pair = r;
      });
    }
    if (!pair) return null;
    var local = report.get(pair.localCandidateId) || {}, remote = report.get(pair.remoteCandidateId) || {};
    var types = ["host", "srflx", "prflx", "relay"];
    return {
      local_type: oneOf(local.candidateType, types),
      remote_type: oneOf(remote.candidateType, types),
      protocol: oneOf(local.protocol, ["udp", "tcp"]),
      relay_protocol: oneOf(local.relayProtocol, ["udp", "tcp", "tls"])
    };
  } catch (e) {
    return null;
  }
}

/* [time, bytes] received at IP level on these connections so far: the UDP payload of the
 * candidate pair that carried the most, plus the IP and UDP headers of its packets, at the time
 * the browser read them (it may hand out a report a few tens of ms old). Retransmissions count,
 * as they crossed the link too. Null where the browser's statistics lack the figures. */
async function receivedWire(pcs) {
  var total = 0, times = [];
  var reports = await Promise.all(pcs.map(function (pc) {
    return pc.getStats().catch(function () { return null; });
  }));
  for (var i = 0; i < reports.length; i++) {
    var pair = null, messages = 0;
    if (!reports[i]) return null;
    reports[i].forEach(function (r) {
      if (r.type === "candidate-pair" && typeof r.bytesReceived === "number" && (!pair || r.bytesReceived > pair.bytesReceived)) pair = r;
      // One packet a message received, and one a message sent: the server's SCTP (aiortc)
      // acknowledges every packet that carries data with a packet of its own.
      if (r.type === "data-channel") messages += (r.messagesReceived || 0) + (r.messagesSent || 0);
    });
    if (!pair) return null;
    // Firefox does not count the packets: at least as many as full ones would have carried the
    // bytes, and one a message each way (the echoes and the acknowledgements of the probes are small).
    var packets = typeof pair.packetsReceived === "number" ? pair.packetsReceived
      : Math.max(messages, Math.ceil(pair.bytesReceived / (S.CHUNK_PAYLOAD + S.PACKET_OVERHEAD - S.IP_UDP_HEADERS)));
    total += pair.bytesReceived + packets * S.IP_UDP_HEADERS;
    // Report times count from the Unix epoch; this page's clock from its time origin.
    times.push(pair.timestamp - performance.timeOrigin);
  }
  var t = times.length ? times.reduce(function (a, b) { return a + b; }, 0) / times.length : NaN;
  return [isFinite(t) && Math.abs(t - now()) < 1000 ? t : now(), total];
}

/* ===== Plain HTTPS: does the web work where real-time media does not? ===================== */

/* Round trip and rates over plain HTTPS, within `budgetMs`. */
async function httpFallback(ctx, base, budgetMs) {
  var deadline = now() + budgetMs;
  var out = { ok: false, rtt_ms: null, down_kbps: null, up_kbps: null };
  try {
    var rtts = [];
    for (var i = 0; i < 5 && now() < deadline; i++) {
      var t = now();
      var r = await get(ctx, base + "/http-ping?n=" + i);
      if (!r.ok) throw new Error("http-ping " + r.status);
      rtts.push(now() - t);
    }
    out.rtt_ms = S.round(S.median(rtts));
    out.ok = true;
    var size = 256 * 1024;
    while (now() < deadline) {
      var t1 = now();
      var body = await (await get(ctx, base + "/http-down?bytes=" + size)).arrayBuffer();
      var ms = now() - t1;
      out.down_kbps = S.round(body.byteLength * 8 / ms);
      if (ms > 700 || size >= 4 * 1024 * 1024) break;
      size *= 4;
    }
    var up = new Uint8Array(Math.min(1024 * 1024, Math.max(64 * 1024, (out.down_kbps || 1000) * 125 / 4)));
    if (now() < deadline) {
      var t2 = now();
      var response = await post(ctx, base + "/http-up", "application/octet-stream", up);
      if (response.ok) out.up_kbps = S.round(up.byteLength * 8 / (now() - t2));
    }
  } catch (e) {
    if (ctx.signal && ctx.signal.aborted) throw e;
  }
  return out;
}

/* ===== Signalling ========================================================================== */

/* The signalling POST, waiting for a free slot while the server answers 503 (Retry-After). */
async function postOffer(ctx, base, body, maxWaitMs, onBusy) {
  var started = now(), text = JSON.stringify(body);
  // Two dozen offers are ~20 KB, three flights of a new TCP window; gzipped they fit in one,
  // which is more than a second on a 600 ms round trip (docs/netlab.md).
  var packed = await gzipped(text);
  for (;;) {
    var response = await post(ctx, base + "/offer", "application/json", packed || text, packed ? "gzip" : null);
    if (response.status !== 503) {
      return { status: response.status, data: await response.json().catch(function () { return {}; }) };
    }
    var wait = Math.min(30, Math.max(1, parseInt(response.headers.get("Retry-After") || "3", 10) || 3));
    if (now() - started + wait * 1000 > maxWaitMs) return { status: 503, data: {} };
    onBusy();
    await sleep(wait * 1000, ctx.signal);
  }
}

/* Whether the control channel `ctl` of `ctlPc` opens within `ms`. */
function channelOpened(ctl, ctlPc, ms) {
  return new Promise(function (resolve) {
    if (ctl.readyState === "open") { resolve(true); return; }
    var id = setTimeout(function () { resolve(false); }, ms);
    ctl.addEventListener("open", function () { clearTimeout(id); resolve(true); });
    ctlPc.addEventListener("connectionstatechange", function () {
      if (ctlPc.connectionState === "failed") { clearTimeout(id); resolve(false); }
    });
  });
}

window.PreflightNetSupport = {
  now: now, sleep: sleep, closePc: closePc, post: post, get: get, Display: Display,
  watchThrottling: watchThrottling, countCandidates: countCandidates, waitGathering: waitGathering,
  selectedPair: selectedPair, receivedWire: receivedWire, httpFallback: httpFallback, postOffer: postOffer,
  channelOpened: channelOpened
};
}());
