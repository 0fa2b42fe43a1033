/* What flows on the network step's connections besides the download: the probes and their
 * echoes (round trip, one-way transit, loss), and the paced upload. Functions of the running
 * check (network.js's NetworkCheck), whose fields hold what they count.
 * Exposed as window.PreflightNetFlows. */
(function () {
"use strict";

var S = window.PreflightNetStats;
var PHASE = S.PHASE;
var now = window.PreflightNetSupport.now;
var sleep = window.PreflightNetSupport.sleep;

/* PROBE packets on an absolute schedule, tagged with the phase (and SETTLING, or FAST in a lossy
 * idle phase's fast half: its loss is counted apart, and left out where it crowded a thin link).
 * Each tag numbers its own probes from 0, so that a tag's span of sequence numbers is its count
 * even where it resumes after another (the first half's after a crowded fast half). */
function sendProbes(check) {
  if (check.probe.readyState !== "open" || check.phase === PHASE.END) return;
  // Never queue a probe behind another in the browser's own buffer: it would time the buffer,
  // not the path (Firefox holds probes back while its SCTP window is small on a long round trip,
  // docs/netlab.md). Nothing was sent, so no sequence number is used and no loss is counted.
  if (check.probe.bufferedAmount > 0) { check.nextProbeAt = now(); return; }
  // A lossy idle phase's second half probes four times as fast (stats.idle_is_lossy; it needs
  // the SCTP corrections of docs/netlab.md, "Probes at 600 a second"). Not the bulk phases: at
  // 300 a second during the download, Firefox's uplink then held a standing queue of ~230 ms
  // through the whole upload on a lossy link (docs/netlab.md, "Counting the loss").
  var plan = check.plan, fast = check.fast && check.phase === PHASE.IDLE;
  // A crowded fast half sends nothing while its queue drains (network.js, watchFastHalf).
  if (fast && check.fastHalfCrowded) { check.nextProbeAt = now(); return; }
  var interval = 1000 / (fast ? plan.lossyProbeHz : check.phase ? bulkProbeHz(check) : idleProbeHz(check));
  var t = now(), packet = check.probePacket;
  // Catch up after a late timer (at most 3): a gap in the sequence would count as loss.
  if (t - check.nextProbeAt > 3 * interval) check.nextProbeAt = t - 3 * interval;
  for (; check.nextProbeAt <= t; check.nextProbeAt += interval) {
    var tag = check.phase | check.settling | (fast ? S.FAST : 0), seq = check.sent[tag] || 0;
    packet.setUint8(0, 1);
    packet.setUint8(1, tag);
    packet.setUint32(4, seq);
    packet.setFloat64(8, now());
    check.probe.send(packet.buffer);
    check.sent[tag] = seq + 1;
  }
}

/* The bulk phases' probe rate. Where the idle phase's fast half crowded the link, the download
 * phase probes at half the rate: on a thin lossy uplink (300 kbit/s) the download's
 * acknowledgements and 100 probes a second came to ~90 % of it in Firefox, whose uplink then held
 * a standing queue of ~0.5 s through the download, slowing the download's pacing and leaving those
 * probes out of the uplink's loss (stats.spare_direction). The upload keeps its rate: its queue
 * is read on its probes. */
function bulkProbeHz(check) {
  var crowded = check.phase === PHASE.DOWN && check.fastHalfCrowded;
  return crowded ? check.plan.crowdedProbeHz : check.plan.probeHz;
}

/* The idle phase's probe rate outside a fast half: gentler while a first half resumed after a
 * crowded fast half still finds a queue (network.js, watchResume). */
function idleProbeHz(check) {
  return check.resumingGently ? check.plan.crowdedProbeHz : check.plan.idleProbeHz;
}

/* An ECHO: round trip (page clock), one-way transit from the server, bytes during the download. */
function onEcho(check, data) {
  if (!(data instanceof ArrayBuffer) || data.byteLength !== 32) return;
  var echo = new DataView(data), t = now();
  if (echo.getUint8(0) !== 2) return;
  var tag = echo.getUint8(1), transit = t - echo.getFloat64(24);
  check.echoes[tag] = (check.echoes[tag] || 0) + 1;
  check.lastEchoAt = t;
  if (tag === 0) check.idleSeqSeen = Math.max(check.idleSeqSeen, echo.getUint32(4));
  if (check.rtts[check.phase]) check.rtts[check.phase].push([t, t - echo.getFloat64(16)]);
  // The one-way zero (jitter, the download's queue) from the unhurried echoes only, as the idle
  // round trip: a first half resumed after a crowded fast half meets the queues that fast half
  // left, in the network or in either end's SCTP (ProbeCounts.unhurried on the server).
  if (tag === PHASE.IDLE && !check.lossy) check.downTransits.push(transit);
  if (tag === (PHASE.IDLE | S.FAST)) check.fastDownTransits.push(transit);
  check.recentDown.push([t, transit]);
  if (check.recentDown.length > 256) check.recentDown.splice(0, 64);
  if (check.phase === PHASE.DOWN) {
    check.downBytes += S.wire(32);
    if (check.downBrake) check.downBrake();
    // Until the rate is known: the queue each echo found, and the bytes in by then (busy periods).
    if (check.downBusy) {
      check.downBusy.queue.push([t, transit - check.downBase]);
      check.downBusy.arrivals.push([t, check.downBytes]);
    }
  }
}

/* Median round trip of the echoes of the last 400 ms while a sender fills the queue. */
async function saturated(check, which) {
  var from = now();
  await sleep(S.SATURATE_MS, check.ctx.signal);
  return S.medianSince(check.rtts[which], from + S.SATURATE_MS - 400);
}

/* Tops up the upload channels every 5 ms within the pace, braking at once when the round trip
 * shows the upload queue shooting up. */
function UploadSender(check, pacing, rtt) {
  this.check = check;
  this.pacing = pacing;
  this.rtt = rtt;
  this.pace = pacing.pace;
  this.saturating = false;
  this.tokens = 0;
  this.stamp = now();
  this.payloads = {};
}

/* The upload queue now, without the downlink's (still draining as the upload starts). */
UploadSender.prototype.queueNow = function () {
  return this.check.upQueue(PHASE.UP, 60);
};

UploadSender.prototype.pump = function () {
  if (this.check.phase !== PHASE.UP) return;
  var t = now();
  if (!this.saturating && this.pacing.braking(this.queueNow())) {
    this.pace = this.pacing.onBrake();
    this.tokens = 0;
    this.stamp = t;
    return;
  }
  var pace = this.pace, channels = this.check.upChannels;
  // Whole SCTP chunks, ~20 ms of data per message: the pace, not a backlog, sets the rate.
  var size = S.CHUNK_PAYLOAD * Math.max(1, Math.min(7, Math.round(pace * 125 * 0.02 / S.CHUNK_PAYLOAD)));
  var payload = this.payloads[size] || (this.payloads[size] = new Uint8Array(size));
  this.tokens = Math.min(Math.max(2 * size, pace * 125 * 0.02), this.tokens + (t - this.stamp) * pace / 8);
  this.stamp = t;
  // Room for a growing window on a long round trip, at most 64 KB per channel.
  var limit = Math.max(2 * size, Math.min(64 * 1024, (pace * 125 * ((this.rtt || 0) + 100) / 1000) / channels.length));
  var self = this;
  channels.forEach(function (channel) {
    while (channel.readyState === "open" && channel.bufferedAmount < limit && self.tokens >= size) {
      channel.send(payload);
      self.tokens -= size;
    }
  });
};

window.PreflightNetFlows = { sendProbes: sendProbes, onEcho: onEcho, saturated: saturated, UploadSender: UploadSender };
}());
