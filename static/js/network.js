/* Preflight network step: measures the WebRTC path to the server's peer and hands the raw
 * figures to the runner (check.js); the server judges them. Protocol: preflight/netrules/protocol.py.
 *
 * The check runs in the phases of the Python reference client
 * (preflight/network/reference_client.py and reference_bulk.py):
 *   connect  - peer connections (one control, some download, some upload), one signalling POST;
 *   idle     - probes and echoes on an unloaded link: round trip, jitter, loss;
 *   download - the server sends, paced by what this page reports each window;
 *   upload   - this page sends, paced by what the server reports each window;
 *   finish   - the server's signed record of its own figures comes back with the result.
 * Without WebRTC, or when it cannot connect, plain HTTPS is measured instead (fallback).
 * The statistics (window rates, settling, pacing) are static/js/network-stats.js, the plumbing
 * (requests, display, browser facts, fallback) network-support.js, the probes and the upload
 * sender network-flows.js. */
(function () {
"use strict";

var S = window.PreflightNetStats;
var N = window.PreflightNetSupport;
var F = window.PreflightNetFlows;
var PHASE = S.PHASE;
var now = N.now, sleep = N.sleep;
var PLAN = {
  gatherMs: 3000,
  connectMs: 10000,
  idleMs: 3000,
  idleLongRttMs: 1500,  // a 600 ms round trip: ~225 probes each way, 0.9 s of round trips; a lossy link doubles it
  idleLongRttMinMs: 250, // ... where the idle phase's first echoes confirm a round trip this long (network.js, idle)
  summaryMs: 6000,      // "done" can queue behind a full thin uplink for seconds
  idleProbeHz: 150,     // more probes while idle: upload loss is counted there mostly
  probeHz: 100,
  lossyProbeHz: 600,    // a lossy idle phase's second half (stats.idle_is_lossy): ~2,150 idle probes at 5 % loss
  crowdedProbeHz: 50,   // after a fast half that crowded the link: the download, and the resumed first half until its queue clears
  busyMaxMs: 120000,    // how long to wait for a free slot on a full server
  httpBudgetMs: 4000
};
/* The re-probe (preflight/profiles/probe.py, probe_ms): connect and a short idle phase within
 * about 5 s, one bulk connection each way (the offer needs them), no rate: too short to settle. */
var QUICK = {
  quick: true,
  gatherMs: 1000,
  connectMs: 2000,
  idleMs: 1000,
  summaryMs: 800,
  idleProbeHz: 150,
  probeHz: 100,
  lossyProbeHz: 600,
  busyMaxMs: 0,
  httpBudgetMs: 0
};

/* ===== The config ========================================================================== */

/* /network/config (ICE servers, connection counts, limits) is fetched as soon as the page has
 * loaded: the network step comes last, so the answer is there when it starts, a round trip saved
 * (0.6 s on a satellite link). Its TURN credentials last an hour, so a copy older than
 * CONFIG_FRESH_MS is fetched again. How long the request took tells a long round trip: after
 * the page's load event nothing else is on the line. */
var CONFIG_FRESH_MS = 10 * 60 * 1000;
var CONFIG_WAIT_MS = 4000;  // for the fetch made on load, if still under way when the step starts
var onLoad = null;  // { base, at, promise } of the fetch made on load
var LONG_RTT_CONFIRM_ECHOES = 5;  // the idle echoes that confirm a long round trip (idle)

function fetchConfig(ctx, base) {
  var asked = now();
  return N.get(ctx, base + "/config").then(function (response) {
    if (!response.ok) throw new Error("network config: HTTP " + response.status);
    return response.json();
  }).then(function (cfg) {
    cfg.elapsed_ms = now() - asked;
    return cfg;
  });
}

function fetchConfigEarly() {
  var page = window.Preflight && window.Preflight.config;
  if (!page || !page.token) return;
  var base = "/c/" + encodeURIComponent(page.token) + "/network";
  onLoad = { base: base, at: now(), promise: fetchConfig({}, base).catch(function () { return null; }) };
}

if (document.readyState === "complete") fetchConfigEarly();
else window.addEventListener("load", fetchConfigEarly, { once: true });

/* ===== One check ============================================================================ */

function NetworkCheck(ctx, plan) {
  this.ctx = ctx;
  this.plan = plan || PLAN;
  this.display = new N.Display(ctx);
  this.base = "/c/" + encodeURIComponent(ctx.token) + "/network";
  this.started = now();
  this.result = { v: 1, state: "error", timeouts: [], candidates: N.countCandidates([]) };
  this.pcs = [];
  this.timers = [];
  this.session = null;
  this.closeKey = null;
  this.finished = false;
  this.serverGone = false;      // the server closed the control channel: stop waiting
  // What the probes measure (filled by onEcho).
  this.phase = PHASE.IDLE;
  this.settling = 0;            // SETTLING while a queue is filled on purpose or drains
  this.sent = { "0": 0, "1": 0, "2": 0, "3": 0 };   // per tag; also the tag's next sequence number
  this.echoes = {};
  this.idleSeqSeen = 0;         // highest idle probe echoed (stats.idle_is_lossy)
  this.fast = false;            // a lossy idle phase's fast half is running: probes at lossyProbeHz, tagged FAST
  this.crowdedSince = null;     // since when its round trips stand over the first half's
  this.drainStart = null;       // when it was found crowding the link: no probes until its queue drains
  this.lastEchoAt = null;
  this.resumedRtts = null;      // round trips before the first half resumed after that drain (null: not resumed)
  this.resumeCleared = false;   // the resumed first half's round trip is back to the first half's: full rate
  this.baseRtts = null;         // how many idle round trips came before that fast half (null: none)
  this.rtts = { 0: [], 1: [], 2: [] };     // per phase: [time, round trip]
  this.downTransits = [];       // idle echoes: one-way server -> page transit
  this.fastDownTransits = [];   // the same in a lossy idle phase's fast half
  this.recentDown = [];         // [time, transit], any phase
  this.downBytes = 0;
  this.downBrake = null;        // set during the download: brakes the server on a queue
  this.downBase = null;         // median idle transit server -> page (the download's zero queue)
  this.idleRtt = null;
  this.idleStart = 0;
  this.idleEnd = 0;
  // What the server says on the control channel.
  this.upProgress = {};
  this.onUpProgress = null;     // set while the upload waits for the next progress message
  this.summary = null;
  this.closeAll = this.closeAll.bind(this);
}

/* Diagnostics: the lab (bench/netlab, PREFLIGHT_NETWORK_TRACE=1) sets PREFLIGHT_TRACE to see
 * where the step's time goes. */
NetworkCheck.prototype.mark = function (what) {
  if (window.PREFLIGHT_TRACE) console.log("[page] " + what + " " + Math.round(now() - this.started) + " ms");
};

NetworkCheck.prototype.send = function (message) {
  if (this.ctl && this.ctl.readyState === "open") this.ctl.send(JSON.stringify(message));
};

/* Close every connection; tell the server when the check did not finish (a closed tab). */
NetworkCheck.prototype.closeAll = function () {
  this.timers.forEach(function (timer) { clearInterval(timer); });
  this.pcs.forEach(N.closePc);
  if (this.session && !this.finished && navigator.sendBeacon) {
    var body = new Blob([JSON.stringify({ key: this.closeKey })], { type: "application/json" });
    navigator.sendBeacon(this.base + "/" + this.session + "/close", body);
  }
};

/* WebRTC is missing or unusable: measure plain HTTPS instead. */
NetworkCheck.prototype.fallback = async function (state) {
  this.result.state = state;
  this.display.say("web", 0.5);
  this.result.http = await N.httpFallback(this.ctx, this.base, PLAN.httpBudgetMs);
  return this.result;
};

NetworkCheck.prototype.run = async function () {
  var result = this.result, stopWatch = N.watchThrottling(this.ctx);
  window.addEventListener("pagehide", this.closeAll);
  try {
    this.display.say("connecting", 0.01);
    if (!window.RTCPeerConnection) return await this.fallback("unsupported");
    var outcome = await this.connect();
    if (outcome !== "connected") {
      return outcome === "fallback" && !this.plan.quick ? await this.fallback(result.state) : result;
    }
    this.listen();
    var rtt = await this.idle();
    if (this.plan.quick) {
      await this.finish();
      return result;
    }
    await this.download(rtt);
    await this.upload(rtt);
    await this.finish();
    return result;
  } finally {
    Object.assign(result, stopWatch());
    result.duration_ms = S.round(now() - this.started);
    this.closeAll();
    window.removeEventListener("pagehide", this.closeAll);
  }
};

/* ----- connect ----------------------------------------------------------------------------- */

/* "connected", "fallback" (result.state says why) or "stop" (busy or refused). */
NetworkCheck.prototype.connect = async function () {
  var ctx = this.ctx, result = this.result, self = this, plan = this.plan;
  var cfg = await this.config();
  this.mark("config");
  // Long round trip: more upload connections (protocol.UP_CONNECTIONS_LONG_RTT).
  this.longRtt = cfg.elapsed_ms >= cfg.long_rtt_ms;
  var ups = this.longRtt ? cfg.up_long_rtt : cfg.up;
  var config = { iceServers: cfg.ice_servers || [] };  // never a public server by default
  this.rateCap = cfg.rate_cap_kbps || S.MAX_RATE_KBPS;
  this.loadedRttBelowMs = typeof cfg.loaded_rtt_below_ms === "number" ? cfg.loaded_rtt_below_ms : Infinity;

  this.ctlPc = new RTCPeerConnection(config);
  this.pcs.push(this.ctlPc);
  // Negotiated out of band (protocol.py, CHANNELS_NEGOTIATED): Firefox would otherwise wait a
  // round trip for each channel's DCEP ack before sending anything on it.
  var ID = S.CHANNELS;
  this.ctl = this.ctlPc.createDataChannel("ctl", { negotiated: true, id: ID.CTL });
  this.ctl.addEventListener("close", function () { self.serverGone = true; });
  this.probe = this.ctlPc.createDataChannel("probe", {
    ordered: false, maxRetransmits: 0, negotiated: true, id: ID.PROBE
  });
  this.probe.binaryType = "arraybuffer";
  // Bulk connections: the download ones are closed before the upload starts (protocol.py).
  var kinds = ["ctl"];
  this.downChannels = [];
  this.downPcs = [];
  this.upChannels = [];
  [["down", plan.quick ? 1 : cfg.down || 2], ["up", plan.quick ? 1 : ups || 4]].forEach(function (spec) {
    for (var n = 0; n < spec[1]; n++) {
      var pc = new RTCPeerConnection(config);
      self.pcs.push(pc);
      kinds.push(spec[0]);
      var channel = pc.createDataChannel("bulk", { ordered: false, negotiated: true, id: ID.BULK });
      channel.binaryType = "arraybuffer";
      if (spec[0] === "down") {
        self.downChannels.push(channel);
        self.downPcs.push(pc);
      } else {
        self.upChannels.push(channel);
      }
    }
  });

  // Every connection's offer and host candidates at once (each gathers on its own).
  var gathered = await Promise.all(this.pcs.map(async function (pc) {
    await pc.setLocalDescription(await pc.createOffer());
    return N.waitGathering(pc, plan.gatherMs);
  }));
  if (gathered.indexOf(false) >= 0) result.timeouts.push("gather");
  this.mark("gathered");
  var offers = this.pcs.map(function (pc, n) { return { kind: kinds[n], sdp: pc.localDescription.sdp }; });
  var candidates = result.candidates = N.countCandidates(this.pcs);
  if (!candidates.host && !candidates.srflx && !candidates.relay && !candidates.prflx) {
    result.state = "no_candidates";
    return "fallback";
  }

  var display = this.display;
  var request = { run_id: ctx.runId, offers: offers, channels: ID.NEGOTIATED };
  var answer = await N.postOffer(ctx, this.base, request, plan.busyMaxMs, function () {
    display.say("busy", 0.02);
  });
  if (answer.status === 503) { result.state = "busy"; result.timeouts.push("busy"); return "stop"; }
  if (answer.status !== 200) { result.state = "rejected"; return "stop"; }
  this.display.say("connecting", 0.05);
  this.session = result.session = answer.data.session;
  this.closeKey = answer.data.close_key;
  this.mark("answered");
  for (var k = 0; k < this.pcs.length; k++) {
    await this.pcs[k].setRemoteDescription({ type: "answer", sdp: answer.data.answers[k].sdp });
  }

  var opened = await N.channelOpened(this.ctl, this.ctlPc, plan.connectMs);
  result.selected = await N.selectedPair(this.ctlPc);
  if (!opened) {
    result.timeouts.push("connect");
    result.state = "failed";
    return "fallback";
  }
  result.state = "connected";
  result.connect_ms = S.round(now() - this.started);
  this.mark("connected");
  this.display.ms("connect_ms", result.connect_ms, result.connect_ms);
  return "connected";
};

/* The config fetched on load where it is fresh, or a new one (also where that fetch failed or
 * hangs on a stalled connection). */
NetworkCheck.prototype.config = async function () {
  if (onLoad && onLoad.base === this.base && now() - onLoad.at < CONFIG_FRESH_MS) {
    var cfg = await Promise.race([onLoad.promise, sleep(CONFIG_WAIT_MS, this.ctx.signal).then(function () { return null; })]);
    if (cfg) return cfg;
  }
  return fetchConfig(this.ctx, this.base);
};

/* Start the probes and listen to echoes, control messages and the download. */
NetworkCheck.prototype.listen = function () {
  var self = this;
  this.timers.push(setInterval(function () { F.sendProbes(self); }, 5));
  this.nextProbeAt = now();
  this.probePacket = new DataView(new ArrayBuffer(16));
  this.probe.addEventListener("message", function (ev) { F.onEcho(self, ev.data); });
  this.ctl.addEventListener("message", function (ev) {
    var data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    if (data.t === "up") {
      self.upProgress = data;
      if (self.onUpProgress) self.onUpProgress();
    }
    else if (data.t === "summary") self.summary = data;
  });
  this.downChannels.forEach(function (channel) {
    channel.addEventListener("message", function (ev) {
      if (self.phase === PHASE.DOWN) self.downBytes += S.wire(ev.data.byteLength || ev.data.length || 0);
    });
  });
};

/* ----- idle -------------------------------------------------------------------------------- */

/* Round trip, jitter and loss on an unloaded link; a lossy link probes twice as long, its second half four times as fast. */
NetworkCheck.prototype.idle = async function () {
  var result = this.result, plan = this.plan, idleMs = this.longRtt && plan.idleLongRttMs || plan.idleMs;
  this.display.say("latency", 0.1);
  this.idleStart = now();
  this.idleEnd = this.idleStart + idleMs;
  // The round trip is read at the idle phase's own rate: a lossy idle phase's fast second half
  // probes four times as often, and on a jittery link packets sent closer together wait behind
  // each other (docs/netlab.md, the 4g jitter table), which would read as a longer round trip.
  var idleRtts = function (check) {
    var pairs = check.baseRtts === null ? check.rtts[0] : check.rtts[0].slice(0, check.baseRtts);
    return pairs.map(function (pair) { return pair[1]; });
  };
  for (;;) {
    // The download is asked for a round trip before the idle phase ends, so that its first bytes
    // arrive as it ends rather than a round trip later. Nothing of the idle phase's is touched:
    // echoes arriving before its end left the server before the download began, and the ones the
    // server sends after are tagged with its new phase (not counted for loss). Not in the re-probe.
    var sofar = S.median(idleRtts(this));
    // A slow config request said the round trip is long, and so does one lost TCP packet on a
    // lossy link (a lost SYN costs 1 s): the shorter idle phase stands only where its first echoes
    // confirm it, since it counts half the probes. The upload's connections, already open, stay.
    if (idleMs !== plan.idleMs && !this.lossy && this.rtts[0].length >= LONG_RTT_CONFIRM_ECHOES
        && sofar < plan.idleLongRttMinMs) {
      idleMs = plan.idleMs;
      this.idleEnd = this.idleStart + idleMs;
      this.mark("round trip not long");
    }
    var planned = idleMs * plan.idleProbeHz / 1000;   // the first half's probes
    // The fast half starts as soon as the loss so far makes the idle phase lossy whatever follows
    // (stats.idle_lossy_already): the step is no longer, and more of it probes fast.
    if (!this.plan.quick && !this.lossy && now() - this.idleStart >= S.FAST_EARLIEST_SHARE * idleMs
        && S.idleLossyAlready(this.echoes[0] || 0, this.idleSeqSeen, planned)) this.startFastHalf(idleMs);
    if (this.fast) this.watchFastHalf(sofar);
    else if (this.resumingGently) this.watchResume(sofar, idleMs);
    var lead = this.plan.quick ? 0 : Math.min(sofar || 0, idleMs / 2);
    var over = now() >= this.idleEnd - lead;
    var fewLost = this.echoes[0] >= (1 - S.LOSSY) * (this.idleSeqSeen + 1);
    // The re-probe never lengthens: its budget is fixed.
    if (over && (this.plan.quick || this.lossy || fewLost)) break;
    if (over) this.startFastHalf(idleMs);
    if (this.serverGone) break;
    // A fast half is watched closely: each 20 ms it crowds a thin link adds to the queue.
    var step = this.fast || this.resumingGently ? 20 : 250;
    await sleep(Math.max(10, Math.min(step, this.idleEnd - lead - now())), this.ctx.signal);
    if (sofar !== null) this.display.ms("rtt_ms", S.round(sofar), sofar);
    this.display.say("latency", 0.1 + 0.2 * Math.min(1, (now() - this.idleStart) / (this.idleEnd - this.idleStart)));
  }
  if (!this.plan.quick) {
    var seen = idleRtts(this), median = S.median(seen);
    var spread = median === null ? null : S.round(S.quantile(seen, 0.9) - median);
    this.send({ t: "phase", phase: "down", rtt_ms: median, spread_ms: spread });
    await sleep(Math.max(0, this.idleEnd - now()), this.ctx.signal);
  }
  var idle = idleRtts(this);
  var rtt = this.idleRtt = S.median(idle);
  this.mark("idle done");
  result.rtt_ms = S.round(rtt);
  result.rtt_p90_ms = S.round(S.quantile(idle, 0.9));
  result.jitter_down_ms = S.round(S.meanAbsDelta(this.downTransits), 2);
  this.display.ms("rtt_ms", result.rtt_ms, rtt || 0);
  if (result.jitter_down_ms !== null) this.display.figure("jitter_ms", result.jitter_down_ms, "jitter_ms", result.jitter_down_ms, 1);
  this.spread = result.rtt_p90_ms !== null && rtt !== null ? result.rtt_p90_ms - rtt : null;
  this.phaseCap = S.phaseCapMs(rtt);
  return rtt;
};

/* The idle phase was lengthened for loss: it has a fast half, begun after baseRtts round trips. */
Object.defineProperty(NetworkCheck.prototype, "lossy", { get: function () { return this.baseRtts !== null; } });

/* That fast half crowded the link: it was stopped to drain (watchFastHalf). */
Object.defineProperty(NetworkCheck.prototype, "fastHalfCrowded", { get: function () { return this.drainStart !== null; } });

/* The first half resumed after a crowded fast half, and its round trip is not yet back to the
 * first half's: it probes at crowdedProbeHz (watchResume). */
Object.defineProperty(NetworkCheck.prototype, "resumingGently", {
  get: function () { return this.resumedRtts !== null && !this.resumeCleared; }
});

/* A lossy idle phase's fast half: probes at lossyProbeHz, tagged FAST (counted apart), until the
 * idle phase's end, twice its planned length. */
NetworkCheck.prototype.startFastHalf = function (idleMs) {
  this.fast = true;
  this.baseRtts = this.rtts[0].length;
  this.idleEnd = this.idleStart + 2 * idleMs;
  this.mark("fast half");
};

/* A fast half that crowds the link would not count for loss (stats.fast_half_counts), and only
 * loads it: it stops until the queue it built has drained (stats.fast_half_drained), then the
 * first half's probing resumes (watchResume) until the idle phase's end, so that a thin link's
 * loss is counted on as many probes as its idle phase can carry. A queue that did not drain ends
 * the idle phase there. */
NetworkCheck.prototype.watchFastHalf = function (sofar) {
  var t = now();
  if (this.drainStart === null) {
    var crowded = S.fastHalfCrowded(this.recentIdleRtt(S.FAST_CROWDED_ECHOES, this.baseRtts), sofar);
    this.crowdedSince = crowded ? this.crowdedSince || t : null;
    if (crowded && t - this.crowdedSince >= S.FAST_CROWDED_HOLD_MS) {
      this.drainStart = t;
      this.mark("fast half crowded");
    }
    return;
  }
  var drained = S.fastHalfDrained(t - Math.max(this.lastEchoAt || 0, this.drainStart));
  if (!drained && t - this.drainStart < S.FAST_DRAIN_MAX_MS) return;
  this.fast = false;
  if (drained) this.resumedRtts = this.rtts[0].length;
  else this.idleEnd = Math.min(this.idleEnd, t);
  this.mark(drained ? "fast half drained" : "fast half did not drain");
};

/* The first half resumed after a drained fast half probes at crowdedProbeHz until the round trip
 * of its echoes is back to the first half's (stats.fast_half_crowded no longer holds for its last
 * FAST_CROWDED_ECHOES / 2), then at idleProbeHz until the idle phase's end, which gets back the
 * time since the fast half was found crowded (at most FAST_GIVEN_BACK_SHARE of the planned
 * length): on a thin link the first half's probes are most of what its loss is counted on.
 * Resuming at full rate at once kept Firefox's thin uplink crowded: the echoes' silence shows the
 * downlink drained, but the uplink still held ~250 ms, and at that round trip Firefox's SCTP
 * (usrsctp) answers each acknowledgement below a skipped probe with a FORWARD TSN, ~100 kbit/s
 * that held the queue up (docs/netlab.md, "The resumed first half"). */
NetworkCheck.prototype.watchResume = function (sofar, idleMs) {
  var recent = this.recentIdleRtt(S.FAST_CROWDED_ECHOES / 2, this.resumedRtts);
  if (recent === null || S.fastHalfCrowded(recent, sofar)) return;
  this.resumeCleared = true;
  this.idleEnd += Math.min(now() - this.drainStart, idleMs * S.FAST_GIVEN_BACK_SHARE);
  this.mark("first half resumed");
};

/* The median of the last `count` idle round trips, or null where fewer than `count` came after
 * the first `since` (the fast half's, or the resumed first half's, own). */
NetworkCheck.prototype.recentIdleRtt = function (count, since) {
  var rtts = this.rtts[0];
  if (rtts.length - since < count) return null;
  return S.median(rtts.slice(-count).map(function (pair) { return pair[1]; }));
};

/* ----- download ---------------------------------------------------------------------------- */

/* Report each window to the server (it paces by it) until the rate settles; then saturate
 * (loaded round trip) and stop. */
NetworkCheck.prototype.download = async function (rtt) {
  var result = this.result, self = this, spread = this.spread;
  this.display.say("download", 0.3);
  this.phase = PHASE.DOWN;
  var base = this.downBase = S.median(this.downTransits);
  var start = now(), samples = [[start, this.downBytes]], windows = [], saturatedAt = null;
  this.downBusy = base === null ? null : { queue: [], arrivals: [], wire: [] };
  var sampler = this.sampleWire();
  var brakeTarget = S.queueTarget(rtt, spread), lastBrake = 0;
  // Brake the server at once when the one-way delay shoots up (the queue is about to overflow).
  this.downBrake = function () {
    var t = now();
    if (t - lastBrake < 100 || base === null) return;
    var queue = S.median(self.recentDown.slice(-5).map(function (pair) { return pair[1]; })) - base;
    if (queue > S.BRAKE * brakeTarget) {
      lastBrake = t;
      self.send({ t: "down", brake: true, queue_ms: S.round(queue) });
    }
  };
  function windowRate(i) {
    return (samples[i][1] - samples[i - 1][1]) * 8 / Math.max(1, samples[i][0] - samples[i - 1][0]);
  }
  for (;;) {
    await sleep(S.WINDOW_MS, this.ctx.signal);
    samples.push([now(), this.downBytes]);
    var n = samples.length, last = windowRate(n - 1), before = n > 2 ? windowRate(n - 2) : 0;
    var transit = base === null ? null : S.medianSince(this.recentDown, now() - 300);
    var queue = transit === null ? null : transit - base;
    this.send({ t: "down", last: S.round(last), best: S.round(Math.max(last, before)), queue_ms: S.round(queue) });
    brakeTarget = S.queueTarget(rtt, spread, Math.max(last, before));
    windows = S.steady(samples, start, rtt);
    if (saturatedAt === null && queue !== null && queue > brakeTarget) saturatedAt = Math.max(0, windows.length - 1);
    var estimate = S.phaseRate(windows, saturatedAt);
    if (estimate !== null) this.display.kbps("download_kbps", S.round(estimate), estimate);
    this.display.say("download", 0.3 + 0.3 * Math.min(1, (now() - start) / this.phaseCap));
    if (S.phaseSettled(windows, rtt, saturatedAt)) break;
    if (now() - start >= this.phaseCap || this.serverGone) { result.timeouts.push("download"); break; }
  }
  // The sustained rate (stats.sustained_rate): the larger of the windows' and the busy periods',
  // or the busy periods' alone where the windows carry a token bucket's burst.
  clearInterval(sampler);
  var windowKbps = S.phaseRate(windows, saturatedAt), busy = [null, 0];
  if (this.downBusy) {
    // Counted at IP level where the browser tells (retransmissions cross the link too, and a
    // loss holds the messages behind it), else by the messages in.
    var timed = this.downBusy;
    await this.wireSample(timed);
    var arrivals = timed.wire.length >= 2 ? timed.wire : timed.arrivals;
    var threshold = S.busyThreshold(this.downTransits, base, rtt, windowKbps);
    busy = S.busyRate(arrivals, S.busyRuns(timed.queue, threshold));
    this.mark("download busy " + S.round(busy[0]) + " kbit/s over " + S.round(busy[1], 0) + " ms, " +
      (arrivals === timed.wire ? "IP level" : "messages") + "; windows " + S.round(windowKbps) + " kbit/s");
    this.downBusy = null;
  }
  result.download_kbps = S.round(S.sustainedRate(windows, saturatedAt, busy[0], S.BURST_RATIO_DOWN));
  result.download_window_kbps = S.round(windowKbps);
  result.download_busy_kbps = S.round(busy[0]);
  result.download_busy_ms = S.round(busy[1], 0);
  result.download_windows = windows.slice(-40).map(function (w) { return S.round(w); });
  result.download_settled = S.phaseSettled(windows, rtt, saturatedAt);
  this.mark("download settled");
  // Bufferbloat: the server fills the queue, the probes time it. Not where the idle round trip
  // already fails the event's limit: the loaded one could not change the verdict then.
  this.downBrake = null;
  this.settling = S.SETTLING;
  var saturated = this.loadedCounts(rtt);
  if (saturated) {
    this.send({ t: "down", saturate: true, kbps: result.download_kbps });
    result.loaded_rtt_down_ms = S.round(await F.saturated(this, PHASE.DOWN));
  }
  this.send({ t: "down", stop: true });
  this.downPcs.forEach(N.closePc);
  this.mark("download stopped");
  // Let the queues drain before the upload. After the saturation, both: the downlink's queue is
  // full, and the acknowledgements of what is still in it would crowd a thin uplink for hundreds
  // of ms. Without it, the downlink holds about the pacing target, whose acknowledgements are
  // few: the uplink alone (upQueue); the upload's brake leaves out the downlink's delay meanwhile.
  var drainEnd = now() + S.DRAIN_MAX_MS;
  while (now() < drainEnd && !this.serverGone) {
    await sleep(50, this.ctx.signal);
    var queue = saturated ? this.pathQueue(PHASE.DOWN, 200) : this.upQueue(PHASE.DOWN, 200);
    if (queue !== null && queue <= S.queueTarget(rtt)) break;
  }
  this.mark("drained");
};

/* Every 50 ms while the download's rate is unknown, the bytes its connections have received at
 * IP level (downBusy.wire), for the busy periods. Returns the interval to clear. */
NetworkCheck.prototype.sampleWire = function () {
  var self = this, pending = false, timed = this.downBusy;
  var timer = setInterval(async function () {
    if (pending || !timed || self.downBusy !== timed) return;
    pending = true;
    await self.wireSample(timed);
    pending = false;
  }, 50);
  this.timers.push(timer);  // cleared with the others should the step end early
  return timer;
};

/* One sample of the download's IP-level bytes into `timed.wire`, the control connection's too
 * (the echoes share the downlink, and the windows count them). A report that lacks the figures
 * is skipped: Firefox's now and then lists no candidate pair. */
NetworkCheck.prototype.wireSample = async function (timed) {
  var sample = await N.receivedWire([this.ctlPc].concat(this.downPcs)), wire = timed.wire;
  if (sample !== null && (!wire.length || sample[0] > wire[wire.length - 1][0])) wire.push(sample);
};

/* Both directions' queues over the last `ms`: the echoes' round trip over the idle one. */
NetworkCheck.prototype.pathQueue = function (phase, ms) {
  var recent = S.medianSince(this.rtts[phase], now() - ms);
  return recent === null ? null : recent - this.idleRtt;
};

/* The uplink's queue over the last `ms`: the echoes' round trip over the idle one, less what the
 * downlink adds (its one-way delay over the idle one, from the server's send times). */
NetworkCheck.prototype.upQueue = function (phase, ms) {
  var path = this.pathQueue(phase, ms);
  if (path === null) return null;
  var down = this.downBase === null ? null : S.medianSince(this.recentDown, now() - ms);
  return path - (down === null ? 0 : Math.max(0, down - this.downBase));
};

/* Whether a loaded round trip can still matter: not when the idle one is over the event's limit. */
NetworkCheck.prototype.loadedCounts = function (rtt) {
  return rtt === null || rtt <= this.loadedRttBelowMs;
};

/* ----- upload ------------------------------------------------------------------------------ */

/* Fill the upload channels at a pace steered by the server's progress messages until it says
 * the rate has settled; then saturate (loaded round trip). */
NetworkCheck.prototype.upload = async function (rtt) {
  var result = this.result;
  this.display.say("upload", 0.65);
  this.settling = 0;
  this.phase = PHASE.UP;
  var start = now();
  // The idle probes sent are final now: the server signs its record as soon as the rate settles.
  this.send({ t: "phase", phase: "up", rtt_ms: rtt, sent: this.sent });
  var pacing = new S.Pacing(S.PACE_START_UP_KBPS, this.rateCap, rtt, this.spread);
  var sender = new F.UploadSender(this, pacing, rtt);
  this.timers.push(setInterval(function () { sender.pump(); }, 5));
  sender.pump();
  var seen = null;
  for (;;) {
    // Each progress message at once (the pace follows it a poll sooner), or a window's wait.
    await this.upProgressWithin(S.WINDOW_MS);
    var progress = this.upProgress;
    if (progress !== seen && progress.last != null) {
      seen = progress;
      sender.pace = pacing.onWindow((progress.best || progress.last) * S.PAYLOAD_SHARE, progress.queue_ms);
    }
    if (progress.kbps) this.display.kbps("upload_kbps", progress.kbps, progress.kbps);
    this.display.say("upload", 0.65 + 0.27 * Math.min(1, (now() - start) / this.phaseCap));
    if (progress.settled) break;
    if (now() - start >= this.phaseCap || this.serverGone) { result.timeouts.push("upload"); break; }
  }
  result.upload_seen_kbps = this.upProgress.kbps || null;
  this.mark("upload settled");
  // The server keeps the rate it measured, and its signed record is on its way.
  this.send({ t: "up", saturate: true });
  if (this.loadedCounts(rtt)) {
    sender.saturating = true;
    this.settling = S.SETTLING;
    var seenKbps = (this.upProgress.kbps || 0) * S.PAYLOAD_SHARE;
    sender.pace = Math.min(this.rateCap, S.SATURATE_GAIN * Math.max(pacing.bottleneck(), seenKbps));
    result.loaded_rtt_up_ms = S.round(await F.saturated(this, PHASE.UP));
  }
  this.phase = PHASE.END;
  this.mark("upload saturated");
  var loaded = Math.max(result.loaded_rtt_down_ms || 0, result.loaded_rtt_up_ms || 0);
  if (loaded) this.display.ms("loaded_rtt_ms", loaded, loaded);
};

/* Resolves on the server's next upload progress message, or after `ms`. */
NetworkCheck.prototype.upProgressWithin = async function (ms) {
  var self = this, timer;
  await new Promise(function (resolve) {
    timer = setTimeout(resolve, ms);
    self.onUpProgress = resolve;
  });
  clearTimeout(timer);
  this.onUpProgress = null;
  if (this.ctx.signal && this.ctx.signal.aborted) throw new DOMException("aborted", "AbortError");
};

/* ----- finish ------------------------------------------------------------------------------ */

/* Tell the server what was sent; its signed record of its own figures comes back (it may have
 * come already: the server sends it when the upload settles). */
NetworkCheck.prototype.finish = async function () {
  var result = this.result;
  this.display.say("finishing", 0.96);
  this.send({ t: "done", sent: this.sent });
  var until = now() + this.plan.summaryMs;
  while (!this.summary && !this.serverGone && now() < until) await sleep(50, this.ctx.signal);
  if (!this.summary) result.timeouts.push("summary");
  result.probes_sent = this.sent;
  result.echoes_recv = Object.assign({}, this.echoes);
  // The fast half's echoes' queue over the first half's: the server judges whether they count.
  var fastQueue = S.median(this.fastDownTransits), baseQueue = S.median(this.downTransits);
  if (fastQueue !== null && baseQueue !== null) result.fast_queue_down_ms = S.round(fastQueue - baseQueue);
  if (this.summary) {
    result.server = this.summary.signed;
    var record = this.summary.record || {};
    if (record.upload_kbps) this.display.kbps("upload_kbps", record.upload_kbps, record.upload_kbps);
  }
  this.finished = Boolean(this.summary);
  this.mark("summary");
  this.display.say("finishing", 1);
};

var api = { run: function (ctx) { return new NetworkCheck(ctx).run(); } };
// The re-probe (static/js/reprobe.js): the same check with the QUICK plan.
window.PreflightNetProbe = function (ctx) { return new NetworkCheck(ctx, QUICK).run(); };
if (window.Preflight && typeof window.Preflight.registerStep === "function") {
  window.Preflight.registerStep("network", api);
} else {
  // check.js not loaded yet: leave the step where it can pick it up.
  window.PreflightSteps = window.PreflightSteps || {};
  window.PreflightSteps.network = api;
}
}());
