/* Preflight network step (protocol: preflight/network/protocol.py). Only measures: the verdicts
 * are the server's, its signed record is handed back untouched. */
(function () {
"use strict";

var PHASE = { IDLE: 0, DOWN: 1, UP: 2, END: 3 };
var SETTLING = 0x80;
// Same rules and constants as preflight/network/stats.py.
var WINDOW_MS = 250, WARMUP_MS = 1000, SETTLE_WINDOWS = 6, SETTLE_TOLERANCE = 0.10, SETTLE_SPREAD = 0.15, ESTIMATE_WINDOWS = 8;
var TRIM_LOW = 0.3, TRIM_HIGH = 0.1;
var CHUNK_PAYLOAD = 1161, PACKET_OVERHEAD = 93, MAX_RATE_KBPS = 30000;
var PAYLOAD_SHARE = CHUNK_PAYLOAD / (CHUNK_PAYLOAD + PACKET_OVERHEAD);
var PLAN = {
  // summaryMs: "done" can queue behind a full thin uplink for seconds
  gatherMs: 3000, connectMs: 10000, idleMs: 3000, summaryMs: 6000,
  idleProbeHz: 150, probeHz: 100,
  busyMaxMs: 120000,
  httpBudgetMs: 4000
};

function now() { return performance.now(); }
function sleep(ms, signal) {
  return new Promise(function (resolve, reject) {
    function onAbort() { clearTimeout(id); reject(new DOMException("aborted", "AbortError")); }
    if (signal && signal.aborted) return onAbort();
    var id = setTimeout(function () {
      if (signal) signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal) { signal.addEventListener("abort", onAbort, { once: true }); }
  });
}
function wire(bytes) { return bytes + Math.max(1, Math.ceil(bytes / CHUNK_PAYLOAD)) * PACKET_OVERHEAD; }
function sorted(values) { return values.slice().sort(function (a, b) { return a - b; }); }
function median(values) {
  if (!values.length) return null;
  var s = sorted(values), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function quantile(values, q) {
  if (!values.length) return null;
  var s = sorted(values), pos = (s.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
function second(pair) { return pair[1]; }
function medianSince(pairs, cut) {
  return median(pairs.filter(function (r) { return r[0] >= cut; }).map(second));
}
function round(v, digits) {
  if (v == null || !isFinite(v)) return null;
  var f = Math.pow(10, digits === undefined ? 1 : digits);
  return Math.round(v * f) / f;
}
// Window rates after the warm-up (stats.steady).
function steady(samples, start, rtt) {
  var out = [], cut = start + Math.max(WARMUP_MS, 2 * (rtt || 0));
  for (var i = 1; i < samples.length; i++) {
    var dt = samples[i][0] - samples[i - 1][0];
    if (dt > 0 && samples[i][0] - WINDOW_MS / 2 >= cut) out.push((samples[i][1] - samples[i - 1][1]) * 8 / dt);
  }
  return out;
}
function mean(values) { return values.reduce(function (a, b) { return a + b; }, 0) / values.length; }
function settleWindows(rtt) { return Math.max(SETTLE_WINDOWS, 2 * Math.ceil(2 * (rtt || 0) / WINDOW_MS)); }
function settled(w, rtt) {
  var n = settleWindows(rtt);
  if (w.length < n) return false;
  var r = w.slice(-n), half = n >> 1, a = mean(r.slice(0, half)), b = mean(r.slice(half)), m = median(r);
  if (Math.abs(b - a) > SETTLE_TOLERANCE * Math.max(a, b, 1e-9)) return false;
  return r.every(function (v) { return Math.abs(v - m) <= SETTLE_SPREAD * m; });
}
// stats.rate_estimate
function rateEstimate(w) {
  if (!w.length) return null;
  var r = sorted(w.slice(-ESTIMATE_WINDOWS)), n = r.length;
  return mean(r.slice(Math.floor(n * TRIM_LOW + 0.5), n - Math.floor(n * TRIM_HIGH + 0.5)));
}
// stats.phase_settled, phase_rate
var SATURATED_WINDOWS = 3, LOSSY = 0.01;
function phaseSettled(w, rtt, sat) { return (sat !== null && w.length - sat >= SATURATED_WINDOWS) || settled(w, rtt); }
function phaseRate(w, sat) {
  if (sat === null || w.length <= sat) return rateEstimate(w);
  var r = sorted(w.slice(Math.max(0, sat - 1)));
  return mean(r.slice(r.length >> 1));
}
// stats.Pacing (same constants and rules).
var PACE_START_UP_KBPS = 200, PACE_MIN_KBPS = 64, QUEUE_MS = 20, QUEUE_SHARE = 0.1, QUEUE_MAX_MS = 40, BRAKE = 3, BTL_WINDOWS = 4;
var SATURATE_MS = 700, SATURATE_GAIN = 1.5, DRAIN_MAX_MS = 1500;
var WIRE_PACKET_BITS = 1268 * 8;
function queueTarget(idleRtt, spread, kbps) {
  var t = Math.max(Math.min(QUEUE_MAX_MS, Math.max(QUEUE_MS, QUEUE_SHARE * (idleRtt || 0))), 2 * (spread || 0));
  return kbps ? Math.max(t, 3 * WIRE_PACKET_BITS / kbps) : t;
}
// stats.phase_cap_ms
var PHASE_CAP_MS = 5000, LONG_RTT_MS = 100, CAP_PER_RTT_MS = 8, PHASE_CAP_MAX_MS = 12000;
function phaseCapMs(rtt) { return Math.min(PHASE_CAP_MAX_MS, PHASE_CAP_MS + CAP_PER_RTT_MS * Math.max(0, (rtt || 0) - LONG_RTT_MS)); }
function Pacing(start, cap, idleRtt, spread) {
  this.pace = Math.min(start, cap); this.cap = cap; this.idleRtt = idleRtt; this.spread = spread;
  this.target = queueTarget(idleRtt, spread);
  this.delivered = []; this.startup = true;
}
Pacing.prototype.bottleneck = function () {
  var recent = this.delivered.slice(-BTL_WINDOWS);
  if (!recent.length) return this.pace;
  return Math.max.apply(null, recent);
};
Pacing.prototype.onWindow = function (delivered, queue) {
  if (delivered == null) return this.pace;
  this.delivered.push(delivered);
  var btl = this.bottleneck(), q = queue == null ? 0 : queue;
  this.target = queueTarget(this.idleRtt, this.spread, btl);
  if (this.startup) {
    if (q <= this.target) {
      this.pace = Math.min(this.cap, Math.max(this.pace, 2 * btl));
      return this.pace;
    }
    this.leaveStartup();
    btl = this.bottleneck();
  }
  var gain = q > 2 * this.target ? 0.9 : q > this.target / 2 ? 1 : 1.25;
  this.pace = Math.max(PACE_MIN_KBPS, Math.min(this.cap, btl * gain));
  return this.pace;
};
Pacing.prototype.leaveStartup = function () {
  if (!this.startup) return;
  this.startup = false;
  var recent = this.delivered.slice(-BTL_WINDOWS);
  this.delivered = recent.length ? [Math.max.apply(null, recent)] : [];
};
Pacing.prototype.onBrake = function () {
  this.leaveStartup();
  this.pace = Math.max(PACE_MIN_KBPS, Math.min(this.pace, 0.9 * this.bottleneck()));
  return this.pace;
};
Pacing.prototype.braking = function (queue) { return queue != null && queue > BRAKE * this.target; };
function meanAbsDelta(values) {
  if (values.length < 2) return null;
  var sum = 0;
  for (var i = 1; i < values.length; i++) { sum += Math.abs(values[i] - values[i - 1]); }
  return sum / (values.length - 1);
}
function formatKbps(kbps) {
  return kbps >= 1000 ? (kbps / 1000).toFixed(1) + " Mbit/s" : Math.round(kbps) + " kbit/s";
}

// Hidden tab or throttled timers: figures untrustworthy.
function watchThrottling(ctx) {
  var maxGap = 0, last = now();
  var timer = setInterval(function () {
    var t = now(); maxGap = Math.max(maxGap, t - last); last = t;
  }, 100);
  return function stop() {
    clearInterval(timer);
    var gap = Math.max(maxGap - 100, 0);
    return { hidden: !!ctx.hidden, throttled: gap > 1000, max_timer_gap_ms: round(gap) };
  };
}

function countCandidates(pcs) {
  var c = { host: 0, srflx: 0, prflx: 0, relay: 0, udp: 0, tcp: 0 };
  pcs.forEach(function (pc) {
    var sdp = (pc.localDescription && pc.localDescription.sdp) || "";
    sdp.split(/\r?\n/).forEach(function (line) {
      var m = /^a=candidate:\S+ \d+ (\w+) \d+ \S+ \d+ typ (\w+)/i.exec(line);
      if (!m) return;
      var proto = m[1].toLowerCase(), type = m[2].toLowerCase();
      if (c[type] !== undefined) c[type] += 1;
      if (c[proto] !== undefined) c[proto] += 1;
    });
  });
  return c;
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
async function selectedPair(pc) {
  try {
    var report = await pc.getStats();
    var pair = null, pairId = null;
    report.forEach(function (r) { if (r.type === "transport" && r.selectedCandidatePairId) { pairId = r.selectedCandidatePairId; } });
    if (pairId) pair = report.get(pairId);
    if (!pair) {
      report.forEach(function (r) { if (!pair && r.type === "candidate-pair" && r.nominated && r.state === "succeeded") { pair = r; } });
    }
    if (!pair) return null;
    var local = report.get(pair.localCandidateId) || {}, remote = report.get(pair.remoteCandidateId) || {};
    var types = ["host", "srflx", "prflx", "relay"];
    return { local_type: oneOf(local.candidateType, types), remote_type: oneOf(remote.candidateType, types),
      protocol: oneOf(local.protocol, ["udp", "tcp"]),
      relay_protocol: oneOf(local.relayProtocol, ["udp", "tcp", "tls"]) };
  } catch (e) {
    return null;
  }
}

function post(ctx, url, type, body) {
  return fetch(url, { method: "POST", credentials: "same-origin", signal: ctx.signal, body: body,
    headers: { "X-CSRFToken": ctx.csrf || "", "Content-Type": type, "Accept": "application/json" } });
}
function get(ctx, url) { return fetch(url, { cache: "no-store", credentials: "same-origin", signal: ctx.signal }); }

// Plain HTTPS: does the web work where real-time media does not?
async function httpFallback(ctx, base) {
  var deadline = now() + PLAN.httpBudgetMs;
  var out = { ok: false, rtt_ms: null, down_kbps: null, up_kbps: null };
  try {
    var rtts = [];
    for (var i = 0; i < 5 && now() < deadline; i++) {
      var t = now();
      var r = await get(ctx, base + "/http-ping?n=" + i);
      if (!r.ok) throw new Error("http-ping " + r.status);
      rtts.push(now() - t);
    }
    out.rtt_ms = round(median(rtts));
    out.ok = true;
    var size = 256 * 1024;
    while (now() < deadline) {
      var t1 = now();
      var body = await (await get(ctx, base + "/http-down?bytes=" + size)).arrayBuffer();
      var ms = now() - t1;
      out.down_kbps = round(body.byteLength * 8 / ms);
      if (ms > 700 || size >= 4 * 1024 * 1024) break;
      size *= 4;
    }
    var up = new Uint8Array(Math.min(1024 * 1024, Math.max(64 * 1024, (out.down_kbps || 1000) * 125 / 4)));
    if (now() < deadline) {
      var t2 = now();
      var ur = await post(ctx, base + "/http-up", "application/octet-stream", up);
      if (ur.ok) out.up_kbps = round(up.byteLength * 8 / (now() - t2));
    }
  } catch (e) {
    if (ctx.signal && ctx.signal.aborted) throw e;
  }
  return out;
}

async function postOffer(ctx, base, body, say) {
  var started = now();
  for (;;) {
    var resp = await post(ctx, base + "/offer", "application/json", JSON.stringify(body));
    if (resp.status !== 503) { return { status: resp.status, data: await resp.json().catch(function () { return {}; }) }; }
    var wait = Math.min(30, Math.max(1, parseInt(resp.headers.get("Retry-After") || "3", 10) || 3));
    if (now() - started + wait * 1000 > PLAN.busyMaxMs) { return { status: 503, data: {} }; }
    say("busy", 0.02);
    await sleep(wait * 1000, ctx.signal);
  }
}

function closePc(pc) { try { pc.close(); } catch (e) { /* already closed */ } }

async function run(ctx) {
  var step = ctx.el || document.querySelector('[data-check="network"]');
  var bar = step && step.querySelector('[data-role="step-progress"]');
  function msg(key) {
    var el = step && step.querySelector('[data-msg="' + key + '"]');
    return el ? el.textContent.trim() : key;
  }
  function say(key, fraction) {
    if (bar) bar.value = Math.round(100 * Math.max(0, Math.min(1, fraction)));
    if (ctx.progress) ctx.progress(fraction, msg(key));
  }
  function show(name, value, text) { if (ctx.metric && value != null) ctx.metric(name, value, text); }
  function showMs(name, value, ms) { show(name, value, Math.round(ms) + " ms"); }
  function showKbps(name, value, kbps) { show(name, value, formatKbps(kbps)); }

  var base = "/c/" + encodeURIComponent(ctx.token) + "/network";
  var started = now();
  var stopWatch = watchThrottling(ctx);
  var result = { v: 1, state: "error", timeouts: [], candidates: countCandidates([]) };
  var pcs = [], timers = [], session = null, closeKey = null, finished = false;

  function closeAll() {
    timers.forEach(function (t) { clearInterval(t); });
    pcs.forEach(closePc);
    if (session && !finished && navigator.sendBeacon) {
      navigator.sendBeacon(base + "/" + session + "/close", new Blob([JSON.stringify({ key: closeKey })], { type: "application/json" }));
    }
  }
  // WebRTC is missing or unusable: measure plain HTTPS instead.
  async function fallback(state) {
    result.state = state;
    say("web", 0.5);
    result.http = await httpFallback(ctx, base);
    return result;
  }
  window.addEventListener("pagehide", closeAll);

  try {
    say("connecting", 0.01);
    if (!window.RTCPeerConnection) return await fallback("unsupported");
    var t0 = now(), cfg = await (await get(ctx, base + "/config")).json();
    // Long round trip: more upload connections (protocol.UP_CONNECTIONS_LONG_RTT).
    var ups = now() - t0 >= cfg.long_rtt_ms ? cfg.up_long_rtt : cfg.up;
    var config = { iceServers: cfg.ice_servers || [] };  // never a public server by default
    var rateCap = cfg.rate_cap_kbps || MAX_RATE_KBPS;
    var ctlPc = new RTCPeerConnection(config);
    pcs.push(ctlPc);
    var ctl = ctlPc.createDataChannel("ctl");
    var serverGone = false;
    // The server may end the check: stop waiting at once.
    ctl.addEventListener("close", function () { serverGone = true; });
    function send(message) { if (ctl.readyState === "open") ctl.send(JSON.stringify(message)); }
    var probe = ctlPc.createDataChannel("probe", { ordered: false, maxRetransmits: 0 });
    probe.binaryType = "arraybuffer";
    // Download connections are closed before the upload (protocol.py).
    var down = [], bulk = [], downPcs = [], kinds = ["ctl"];
    [["down", cfg.down || 2], ["up", ups || 4]].forEach(function (spec) {
      for (var b = 0; b < spec[1]; b++) {
        var pc = new RTCPeerConnection(config);
        pcs.push(pc);
        kinds.push(spec[0]);
        var ch = pc.createDataChannel("bulk", { ordered: false });
        ch.binaryType = "arraybuffer";
        if (spec[0] === "down") { down.push(ch); downPcs.push(pc); } else { bulk.push(ch); }
      }
    });
    for (var i = 0; i < pcs.length; i++) {
      await pcs[i].setLocalDescription(await pcs[i].createOffer());
    }
    var gathered = await Promise.all(pcs.map(function (p) { return waitGathering(p, PLAN.gatherMs); }));
    if (gathered.indexOf(false) >= 0) result.timeouts.push("gather");
    var offers = pcs.map(function (p, n) { return { kind: kinds[n], sdp: p.localDescription.sdp }; });
    var cands = result.candidates = countCandidates(pcs);
    if (!cands.host && !cands.srflx && !cands.relay && !cands.prflx) return await fallback("no_candidates");

    var answer = await postOffer(ctx, base, { run_id: ctx.runId, offers: offers }, say);
    if (answer.status === 503) { result.state = "busy"; result.timeouts.push("busy"); return result; }
    if (answer.status !== 200) { result.state = "rejected"; return result; }
    say("connecting", 0.05);
    session = result.session = answer.data.session;
    closeKey = answer.data.close_key;
    for (var k = 0; k < pcs.length; k++) {
      await pcs[k].setRemoteDescription({ type: "answer", sdp: answer.data.answers[k].sdp });
    }

    var opened = await new Promise(function (resolve) {
      if (ctl.readyState === "open") { resolve(true); return; }
      var id = setTimeout(function () { resolve(false); }, PLAN.connectMs);
      ctl.addEventListener("open", function () { clearTimeout(id); resolve(true); });
      ctlPc.addEventListener("connectionstatechange", function () {
        if (ctlPc.connectionState === "failed") { clearTimeout(id); resolve(false); }
      });
    });
    result.selected = await selectedPair(ctlPc);
    if (!opened) { result.timeouts.push("connect"); return await fallback("failed"); }
    result.state = "connected";
    result.connect_ms = round(now() - started);
    showMs("connect_ms", result.connect_ms, result.connect_ms);

    var phase = PHASE.IDLE, seq = 0;
    var sent = { "0": 0, "1": 0, "2": 0, "3": 0 }, echoes = {}, seen0 = 0;
    // SETTLING: probes sent while a queue fills or drains (not counted for loss).
    var settling = 0;
    var rtts = { 0: [], 1: [], 2: [] }, downTransits = [];
    var downBytes = 0, summary = null, upProgress = {};
    var recentDown = [];  // [time, one-way transit]
    var downBrake = null;
    async function saturated(which) {
      var from = now();
      await sleep(SATURATE_MS, ctx.signal);
      return medianSince(rtts[which], from + SATURATE_MS - 400);
    }
    var nextAt = now();
    var packet = new DataView(new ArrayBuffer(16));
    timers.push(setInterval(function () {
      if (probe.readyState !== "open" || phase === PHASE.END) return;
      // A lossy idle phase's second half probes twice as fast (stats.idle_is_lossy).
      var t = now(), interval = 1000 / (phase ? PLAN.probeHz : PLAN.idleProbeHz * (idleEnd - idleStart > PLAN.idleMs ? 2 : 1));
      // Catch up after a late timer (at most 3): a seq gap would count as loss.
      if (t - nextAt > 3 * interval) nextAt = t - 3 * interval;
      for (; nextAt <= t; nextAt += interval) {
        var tag = phase | settling;
        packet.setUint8(0, 1); packet.setUint8(1, tag);
        packet.setUint32(4, seq); packet.setFloat64(8, now());
        probe.send(packet.buffer);
        seq += 1;
        sent[tag] = (sent[tag] || 0) + 1;
      }
    }, 5));
    probe.addEventListener("message", function (ev) {
      if (!(ev.data instanceof ArrayBuffer) || ev.data.byteLength !== 32) return;
      var d = new DataView(ev.data), t = now();
      if (d.getUint8(0) !== 2) return;
      var tag = d.getUint8(1);
      echoes[tag] = (echoes[tag] || 0) + 1;
      if (tag === 0) seen0 = Math.max(seen0, d.getUint32(4));
      if (rtts[phase]) rtts[phase].push([t, t - d.getFloat64(16)]);
      if (tag === PHASE.IDLE) downTransits.push(t - d.getFloat64(24));
      recentDown.push([t, t - d.getFloat64(24)]);
      if (recentDown.length > 256) recentDown.splice(0, 64);
      if (phase === PHASE.DOWN) {
        downBytes += wire(32);
        if (downBrake) downBrake();
      }
    });
    ctl.addEventListener("message", function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data.t === "up") upProgress = data;
      else if (data.t === "summary") summary = data;
    });
    down.forEach(function (c) {
      c.addEventListener("message", function (ev) {
        if (phase === PHASE.DOWN) downBytes += wire(ev.data.byteLength || ev.data.length || 0);
      });
    });

    say("latency", 0.1);
    var idleStart = now(), idleEnd = idleStart + PLAN.idleMs;
    for (;;) {
      // A lossy link probes twice as long (stats.idle_is_lossy).
      if (now() >= idleEnd && (idleEnd > idleStart + PLAN.idleMs || echoes[0] >= (1 - LOSSY) * (seen0 + 1))) break;
      if (now() >= idleEnd) idleEnd += PLAN.idleMs;
      if (serverGone) break;
      await sleep(250, ctx.signal);
      var sofar = median(rtts[0].map(second));
      if (sofar !== null) showMs("rtt_ms", round(sofar), sofar);
      say("latency", 0.1 + 0.2 * Math.min(1, (now() - idleStart) / (idleEnd - idleStart)));
    }
    var idle = rtts[0].map(second);
    var rtt = median(idle);
    result.rtt_ms = round(rtt);
    result.rtt_p90_ms = round(quantile(idle, 0.9));
    result.jitter_down_ms = round(meanAbsDelta(downTransits), 2);
    showMs("rtt_ms", result.rtt_ms, rtt || 0);
    if (result.jitter_down_ms !== null) show("jitter_ms", result.jitter_down_ms, result.jitter_down_ms.toFixed(1) + " ms");

    say("download", 0.3);
    phase = PHASE.DOWN;
    var downBase = median(downTransits);
    var phaseCap = phaseCapMs(rtt), sat = null, downStart = now(), samples = [[downStart, downBytes]], windows = [];
    var spread = result.rtt_p90_ms !== null && rtt !== null ? result.rtt_p90_ms - rtt : null;
    var brakeTarget = queueTarget(rtt, spread), lastBrake = 0;
    downBrake = function () {
      var t = now();
      if (t - lastBrake < 100 || downBase === null) return;
      var q = median(recentDown.slice(-5).map(second)) - downBase;
      if (q > BRAKE * brakeTarget) {
        lastBrake = t;
        send({ t: "down", brake: true, queue_ms: round(q) });
      }
    };
    function windowRate(i) { return (samples[i][1] - samples[i - 1][1]) * 8 / Math.max(1, samples[i][0] - samples[i - 1][0]); }
    send({ t: "phase", phase: "down", rtt_ms: rtt, spread_ms: round(spread) });
    for (;;) {
      await sleep(WINDOW_MS, ctx.signal);
      samples.push([now(), downBytes]);
      var n = samples.length, last = windowRate(n - 1), before = n > 2 ? windowRate(n - 2) : 0;
      var queue = downBase === null ? null : medianSince(recentDown, now() - 300);
      send({ t: "down", last: round(last), best: round(Math.max(last, before)), queue_ms: round(queue === null ? null : queue - downBase) });
      brakeTarget = queueTarget(rtt, spread, Math.max(last, before));
      windows = steady(samples, downStart, rtt);
      if (sat === null && queue !== null && queue - downBase > brakeTarget) sat = Math.max(0, windows.length - 1);
      var est = phaseRate(windows, sat);
      if (est !== null) showKbps("download_kbps", round(est), est);
      say("download", 0.3 + 0.3 * Math.min(1, (now() - downStart) / phaseCap));
      if (phaseSettled(windows, rtt, sat)) break;
      if (now() - downStart >= phaseCap || serverGone) { result.timeouts.push("download"); break; }
    }
    result.download_kbps = round(phaseRate(windows, sat));
    result.download_windows = windows.slice(-40).map(function (w) { return round(w); });
    result.download_settled = phaseSettled(windows, rtt, sat);
    // Bufferbloat: the server fills the queue, the probes time it.
    downBrake = null;
    settling = SETTLING;
    send({ t: "down", saturate: true, kbps: result.download_kbps });
    result.loaded_rtt_down_ms = round(await saturated(PHASE.DOWN));
    // Let the queues drain before the upload (stats.drained).
    send({ t: "down", stop: true });
    downPcs.forEach(closePc);
    var drainEnd = now() + DRAIN_MAX_MS;
    while (now() < drainEnd && !serverGone) {
      await sleep(50, ctx.signal);
      var recentR = medianSince(rtts[1], now() - 200);
      if (recentR !== null && recentR <= rtt + queueTarget(rtt)) break;
    }

    say("upload", 0.65);
    settling = 0;
    phase = PHASE.UP;
    var upStart = now();
    send({ t: "phase", phase: "up", rtt_ms: rtt });
    var pacing = new Pacing(PACE_START_UP_KBPS, rateCap, rtt, spread), pace = pacing.pace, seen = null;
    var tokens = 0, stamp = now(), payloads = {}, saturating = false;
    // Echo RTT over idle: the upload queue now.
    function upQueueNow() {
      var m = medianSince(rtts[2], now() - 60);
      return m === null ? null : m - rtt;
    }
    function pump() {
      if (phase !== PHASE.UP) return;
      var t = now();
      if (!saturating && pacing.braking(upQueueNow())) {
        pace = pacing.onBrake();
        tokens = 0;
        stamp = t;
        return;
      }
      // Whole SCTP chunks, ~20 ms of data per message: the pace, not a backlog, sets the rate.
      var size = CHUNK_PAYLOAD * Math.max(1, Math.min(7, Math.round(pace * 125 * 0.02 / CHUNK_PAYLOAD)));
      var payload = payloads[size] || (payloads[size] = new Uint8Array(size));
      tokens = Math.min(Math.max(2 * size, pace * 125 * 0.02), tokens + (t - stamp) * pace / 8);
      stamp = t;
      // Room for a growing window on a long round trip, at most 64 KB each.
      var limit = Math.max(2 * size, Math.min(64 * 1024, (pace * 125 * ((rtt || 0) + 100) / 1000) / bulk.length));
      bulk.forEach(function (c) {
        while (c.readyState === "open" && c.bufferedAmount < limit && tokens >= size) {
          c.send(payload);
          tokens -= size;
        }
      });
    }
    timers.push(setInterval(pump, 5));
    pump();
    for (;;) {
      await sleep(WINDOW_MS, ctx.signal);
      if (upProgress !== seen && upProgress.last != null) {
        seen = upProgress;
        pace = pacing.onWindow((upProgress.best || upProgress.last) * PAYLOAD_SHARE, upProgress.queue_ms);
      }
      if (upProgress.kbps) showKbps("upload_kbps", upProgress.kbps, upProgress.kbps);
      say("upload", 0.65 + 0.27 * Math.min(1, (now() - upStart) / phaseCap));
      if (upProgress.settled) break;
      if (now() - upStart >= phaseCap || serverGone) { result.timeouts.push("upload"); break; }
    }
    result.upload_seen_kbps = upProgress.kbps || null;
    // The server keeps its rate; now fill the uplink queue.
    send({ t: "up", saturate: true });
    saturating = true;
    settling = SETTLING;
    pace = Math.min(rateCap, SATURATE_GAIN * Math.max(pacing.bottleneck(), (upProgress.kbps || 0) * PAYLOAD_SHARE));
    result.loaded_rtt_up_ms = round(await saturated(PHASE.UP));
    phase = PHASE.END;
    var loaded = Math.max(result.loaded_rtt_down_ms || 0, result.loaded_rtt_up_ms || 0);
    if (loaded) showMs("loaded_rtt_ms", loaded, loaded);

    say("finishing", 0.96);
    send({ t: "done", sent: sent });
    var until = now() + PLAN.summaryMs;
    while (!summary && !serverGone && now() < until) { await sleep(50, ctx.signal); }
    if (!summary) result.timeouts.push("summary");
    result.probes_sent = sent;
    result.echoes_recv = Object.assign({}, echoes);
    if (summary) {
      result.server = summary.signed;
      var rec = summary.record || {};
      if (rec.upload_kbps) showKbps("upload_kbps", rec.upload_kbps, rec.upload_kbps);
    }
    finished = Boolean(summary);
    say("finishing", 1);
    return result;
  } finally {
    Object.assign(result, stopWatch());
    result.duration_ms = round(now() - started);
    closeAll();
    window.removeEventListener("pagehide", closeAll);
  }
}

var api = { run: run };
if (window.Preflight && typeof window.Preflight.registerStep === "function") {
  window.Preflight.registerStep("network", api);
} else {
  // check.js not loaded yet: leave the step where it can pick it up.
  window.PreflightSteps = window.PreflightSteps || {};
  window.PreflightSteps.network = api;
}
}());
