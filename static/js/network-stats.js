/* The network check's statistics and pacing rules, as the page applies them.
 *
 * A mirror of preflight/netrules/stats.py (and the sizes of preflight/netrules/protocol.py):
 * same constants, same rules, same results. tests/network/test_pacing.py loads this file alone
 * under Node and compares it with the Python, function by function; change both together.
 * Exposed as window.PreflightNetStats for static/js/network.js. */
(function (root) {
"use strict";

// ----- protocol sizes (protocol.py) -------------------------------------------------------
var PHASE = { IDLE: 0, DOWN: 1, UP: 2, END: 3 };
var SETTLING = 0x80;                 // tag of probes sent while a queue fills or drains
var FAST = 0x40;                     // tag of a lossy idle phase's fast half (counted apart)
var CHUNK_PAYLOAD = 1161;            // bytes of payload in a full SCTP data packet
var PACKET_OVERHEAD = 93;            // IP + UDP + DTLS + SCTP bytes around it
var IP_UDP_HEADERS = 28;             // what a UDP payload lacks of its IP size
var MAX_RATE_KBPS = 30000;
// Data channels negotiated out of band: the request's "channels" value and each one's stream id.
var CHANNELS = { NEGOTIATED: "negotiated", CTL: 0, PROBE: 1, BULK: 0 };
var PAYLOAD_SHARE = CHUNK_PAYLOAD / (CHUNK_PAYLOAD + PACKET_OVERHEAD);

// ----- windows and settling (stats.py) ----------------------------------------------------
var WINDOW_MS = 250;
var WARMUP_MS = 1000;
var SETTLE_WINDOWS = 6;
var SETTLE_TOLERANCE = 0.10;
var SETTLE_SPREAD = 0.15;
var ESTIMATE_WINDOWS = 8;
var TRIM_LOW = 0.3;
var TRIM_HIGH = 0.1;
var SATURATED_WINDOWS = 3;
var LOSSY = 0.01;
var FAST_CROWDED_MS = 40;            // stats.FAST_CROWDED_MS: a fast half crowding the link stops there
var FAST_CROWDED_ECHOES = 20;
var FAST_CROWDED_HOLD_MS = 100;      // stats.FAST_CROWDED_HOLD_MS: ... for this long (not a stall)
var FAST_EARLIEST_SHARE = 0.5;       // stats.FAST_EARLIEST_SHARE: the fast half starts once loss is certain
var FAST_DRAINED_SILENCE_MS = 100;   // stats.FAST_DRAINED_SILENCE_MS: a crowded fast half's queue has drained
var FAST_DRAIN_MAX_MS = 1500;
var FAST_GIVEN_BACK_SHARE = 1 / 3;  // stats.FAST_GIVEN_BACK_SHARE: the idle phase's time given back after a crowded fast half
var BUSY_MIN_SPAN_MS = 200;
var BURST_RATIO = 1.10;
var BURST_RATIO_DOWN = 1.08;

// ----- pacing (stats.Pacing) --------------------------------------------------------------
var PACE_START_UP_KBPS = 200;
var PACE_MIN_KBPS = 64;
var QUEUE_MS = 20;
var QUEUE_SHARE = 0.1;
var QUEUE_MAX_MS = 40;
var BRAKE = 3;
var BTL_WINDOWS = 4;
var SATURATE_MS = 700;
var SATURATE_GAIN = 1.5;
var DRAIN_MAX_MS = 1500;
var WIRE_PACKET_BITS = 1268 * 8;     // a full data packet as a shaper counts it

// ----- phase caps (stats.phase_cap_ms) ----------------------------------------------------
var PHASE_CAP_MS = 5000;
var LONG_RTT_MS = 100;
var CAP_PER_RTT_MS = 8;
var PHASE_CAP_MAX_MS = 12000;

/* Bytes on the wire for a message of `bytes` payload (protocol.wire_bytes). */
function wire(bytes) {
  return bytes + Math.max(1, Math.ceil(bytes / CHUNK_PAYLOAD)) * PACKET_OVERHEAD;
}

function sorted(values) {
  return values.slice().sort(function (a, b) { return a - b; });
}

function mean(values) {
  return values.reduce(function (a, b) { return a + b; }, 0) / values.length;
}

function median(values) {
  if (!values.length) return null;
  var s = sorted(values);
  var middle = s.length >> 1;
  return s.length % 2 ? s[middle] : (s[middle - 1] + s[middle]) / 2;
}

/* The q-quantile (0..1) by linear interpolation (stats.percentile). */
function quantile(values, q) {
  if (!values.length) return null;
  var s = sorted(values);
  var position = (s.length - 1) * q;
  var lo = Math.floor(position);
  var hi = Math.ceil(position);
  return s[lo] + (s[hi] - s[lo]) * (position - lo);
}

/* The median of the values of [time, value] pairs at or after `cut`. */
function medianSince(pairs, cut) {
  return median(pairs.filter(function (pair) { return pair[0] >= cut; }).map(function (pair) { return pair[1]; }));
}

/* Whether the fast half's recent median round trip (of its last FAST_CROWDED_ECHOES echoes) stands
 * FAST_CROWDED_MS over the first half's
 * (stats.fast_half_crowded). */
function fastHalfCrowded(recentRtt, baseRtt) {
  if (recentRtt == null || baseRtt == null) return false;
  return recentRtt - baseRtt > FAST_CROWDED_MS;
}

/* Whether the idle probes lost so far already exceed LOSSY of all the first half plans to send
 * (stats.idle_lossy_already). */
function idleLossyAlready(echoes, highestSeqEchoed, plannedProbes) {
  return echoes > 0 && highestSeqEchoed + 1 - echoes > LOSSY * plannedProbes;
}

/* Whether a crowded fast half's queue has drained: no echo for FAST_DRAINED_SILENCE_MS since it
 * stopped (stats.fast_half_drained). */
function fastHalfDrained(silentMs) {
  return silentMs != null && silentMs >= FAST_DRAINED_SILENCE_MS;
}

function round(value, digits) {
  if (value == null || !isFinite(value)) return null;
  var factor = Math.pow(10, digits === undefined ? 1 : digits);
  return Math.round(value * factor) / factor;
}

/* Mean absolute difference of consecutive values: RFC 3550 jitter without smoothing. */
function meanAbsDelta(values) {
  if (values.length < 2) return null;
  var sum = 0;
  for (var i = 1; i < values.length; i++) sum += Math.abs(values[i] - values[i - 1]);
  return sum / (values.length - 1);
}

/* Window rates (kbit/s) from [time, bytes] samples, after the warm-up (stats.steady). */
function steady(samples, start, rtt) {
  var rates = [];
  var cut = start + Math.max(WARMUP_MS, 2 * (rtt || 0));
  for (var i = 1; i < samples.length; i++) {
    var elapsed = samples[i][0] - samples[i - 1][0];
    if (elapsed > 0 && samples[i][0] - WINDOW_MS / 2 >= cut) {
      rates.push((samples[i][1] - samples[i - 1][1]) * 8 / elapsed);
    }
  }
  return rates;
}

function settleWindows(rtt) {
  return Math.max(SETTLE_WINDOWS, 2 * Math.ceil(2 * (rtt || 0) / WINDOW_MS));
}

/* A plateau: the last windows' halves agree and no window strays from their median (stats.settled). */
function settled(windows, rtt) {
  var n = settleWindows(rtt);
  if (windows.length < n) return false;
  var recent = windows.slice(-n);
  var half = n >> 1;
  var first = mean(recent.slice(0, half));
  var second = mean(recent.slice(half));
  var middle = median(recent);
  if (Math.abs(second - first) > SETTLE_TOLERANCE * Math.max(first, second, 1e-9)) return false;
  return recent.every(function (rate) { return Math.abs(rate - middle) <= SETTLE_SPREAD * middle; });
}

/* Trimmed mean of the last windows, trimmed more at the bottom (stats.rate_estimate). */
function rateEstimate(windows) {
  if (!windows.length) return null;
  var recent = sorted(windows.slice(-ESTIMATE_WINDOWS));
  var n = recent.length;
  return mean(recent.slice(Math.floor(n * TRIM_LOW + 0.5), n - Math.floor(n * TRIM_HIGH + 0.5)));
}

/* Done when a queue has stood for a few windows, or on a plateau (stats.phase_settled). */
function phaseSettled(windows, rtt, saturatedAt) {
  return (saturatedAt !== null && windows.length - saturatedAt >= SATURATED_WINDOWS) || settled(windows, rtt);
}

/* The phase's rate: the better half of the windows since the queue stood, else the estimate (stats.phase_rate). */
function phaseRate(windows, saturatedAt) {
  if (saturatedAt === null || windows.length <= saturatedAt) return rateEstimate(windows);
  var since = sorted(windows.slice(Math.max(0, saturatedAt - 1)));
  return mean(since.slice(since.length >> 1));
}

/* [first, last] arrival times of the runs of probes that each found a queue over `threshold`;
 * `queue` holds [arrival time, one-way delay over the idle median] (stats.busy_runs). */
function busyRuns(queue, threshold) {
  var values = queue.map(function (pair) { return pair[1]; });
  var runs = [], start = null, last = null;
  for (var i = 0; i < queue.length; i++) {
    var t = queue[i][0], seen = median(values.slice(Math.max(0, i - 1), i + 2));
    var busy = seen > threshold;
    // The link was busy for `seen` ms before this probe left it: the run goes on when that
    // reaches back to the previous probe.
    if (busy && start !== null && t - last <= seen) { last = t; continue; }
    if (start !== null) runs.push([start, last]);
    start = busy ? t : null;
    last = busy ? t : null;
  }
  if (start !== null) runs.push([start, last]);
  return runs;
}

/* [kbit/s, busy ms] over the runs of at least BUSY_MIN_SPAN_MS; `arrivals` hold [time, cumulative
 * bytes] in time order, read in between as a straight line, the runs cut to their span (stats.busy_rate). */
function busyRate(arrivals, runs) {
  if (!arrivals.length) return [null, 0];
  function receivedBy(t) {
    var lo = 0, hi = arrivals.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (arrivals[mid][0] <= t) lo = mid + 1; else hi = mid; }
    if (lo === 0 || lo === arrivals.length) return arrivals[Math.max(0, lo - 1)][1];
    var a = arrivals[lo - 1], b = arrivals[lo];
    return a[1] + (b[1] - a[1]) * (t - a[0]) / (b[0] - a[0]);
  }
  var bytes = 0, ms = 0, from = arrivals[0][0], to = arrivals[arrivals.length - 1][0];
  runs.forEach(function (run) {
    var first = Math.max(run[0], from), last = Math.min(run[1], to);
    if (last - first >= BUSY_MIN_SPAN_MS) {
      bytes += receivedBy(last) - receivedBy(first);
      ms += last - first;
    }
  });
  return ms ? [bytes * 8 / ms, ms] : [null, 0];
}

/* The queue that marks a busy link (stats.busy_threshold_ms). */
function busyThreshold(idleTransits, base, rtt, windowKbps) {
  var spread = idleTransits.length >= 10 && base !== null ? quantile(idleTransits, 0.9) - base : null;
  return queueTarget(rtt, spread, windowKbps);
}

/* The phase's rate, or the busy periods' when the windows carry a burst (stats.sustained_rate). */
function sustainedRate(windows, saturatedAt, busyKbps, burstRatio) {
  var window = phaseRate(windows, saturatedAt);
  var ratio = burstRatio === undefined ? BURST_RATIO : burstRatio;
  if (window !== null && busyKbps !== null && window > ratio * busyKbps) return busyKbps;
  var rates = [window, busyKbps].filter(function (rate) { return rate !== null; });
  return rates.length ? Math.max.apply(null, rates) : null;
}

/* The queue (ms of one-way delay growth) a sender aims at (stats.queue_target_ms). */
function queueTarget(idleRtt, spread, kbps) {
  var target = Math.max(Math.min(QUEUE_MAX_MS, Math.max(QUEUE_MS, QUEUE_SHARE * (idleRtt || 0))), 2 * (spread || 0));
  return kbps ? Math.max(target, 3 * WIRE_PACKET_BITS / kbps) : target;
}

/* How long a bulk phase may last on a link with this round trip (stats.phase_cap_ms). */
function phaseCapMs(rtt) {
  return Math.min(PHASE_CAP_MAX_MS, PHASE_CAP_MS + CAP_PER_RTT_MS * Math.max(0, (rtt || 0) - LONG_RTT_MS));
}

/* The sending rate of one bulk phase (payload kbit/s), after BBR's idea (stats.Pacing). */
function Pacing(start, cap, idleRtt, spread) {
  this.pace = Math.min(start, cap);
  this.cap = cap;
  this.idleRtt = idleRtt;
  this.spread = spread;
  this.target = queueTarget(idleRtt, spread);
  this.delivered = [];
  this.startup = true;
}

Pacing.prototype.bottleneck = function () {
  var recent = this.delivered.slice(-BTL_WINDOWS);
  return recent.length ? Math.max.apply(null, recent) : this.pace;
};

/* One window's feedback: the delivered rate and the queue it built. Returns the new pace. */
Pacing.prototype.onWindow = function (delivered, queue) {
  if (delivered == null) return this.pace;
  this.delivered.push(delivered);
  var bottleneck = this.bottleneck();
  var standing = queue == null ? 0 : queue;
  this.target = queueTarget(this.idleRtt, this.spread, bottleneck);
  if (this.startup) {
    if (standing <= this.target) {
      this.pace = Math.min(this.cap, Math.max(this.pace, 2 * bottleneck));
      return this.pace;
    }
    this.leaveStartup();
    bottleneck = this.bottleneck();
  }
  var gain = standing > 2 * this.target ? 0.9 : standing > this.target / 2 ? 1 : 1.25;
  this.pace = Math.max(PACE_MIN_KBPS, Math.min(this.cap, bottleneck * gain));
  return this.pace;
};

Pacing.prototype.leaveStartup = function () {
  if (!this.startup) return;
  this.startup = false;
  var recent = this.delivered.slice(-BTL_WINDOWS);
  this.delivered = recent.length ? [Math.max.apply(null, recent)] : [];
};

/* The queue shot up: slow down at once, below the bottleneck. */
Pacing.prototype.onBrake = function () {
  this.leaveStartup();
  this.pace = Math.max(PACE_MIN_KBPS, Math.min(this.pace, 0.9 * this.bottleneck()));
  return this.pace;
};

Pacing.prototype.braking = function (queue) {
  return queue != null && queue > BRAKE * this.target;
};

root.PreflightNetStats = {
  PHASE: PHASE, SETTLING: SETTLING, FAST: FAST, CHUNK_PAYLOAD: CHUNK_PAYLOAD, PACKET_OVERHEAD: PACKET_OVERHEAD,
  IP_UDP_HEADERS: IP_UDP_HEADERS,
  MAX_RATE_KBPS: MAX_RATE_KBPS, PAYLOAD_SHARE: PAYLOAD_SHARE, CHANNELS: CHANNELS,
  WINDOW_MS: WINDOW_MS, WARMUP_MS: WARMUP_MS, SETTLE_WINDOWS: SETTLE_WINDOWS, SETTLE_TOLERANCE: SETTLE_TOLERANCE,
  SETTLE_SPREAD: SETTLE_SPREAD, ESTIMATE_WINDOWS: ESTIMATE_WINDOWS, TRIM_LOW: TRIM_LOW, TRIM_HIGH: TRIM_HIGH,
  SATURATED_WINDOWS: SATURATED_WINDOWS, LOSSY: LOSSY,
  FAST_CROWDED_MS: FAST_CROWDED_MS, FAST_CROWDED_ECHOES: FAST_CROWDED_ECHOES, FAST_CROWDED_HOLD_MS: FAST_CROWDED_HOLD_MS, fastHalfCrowded: fastHalfCrowded,
  FAST_EARLIEST_SHARE: FAST_EARLIEST_SHARE, FAST_DRAINED_SILENCE_MS: FAST_DRAINED_SILENCE_MS, FAST_DRAIN_MAX_MS: FAST_DRAIN_MAX_MS,
  FAST_GIVEN_BACK_SHARE: FAST_GIVEN_BACK_SHARE,
  idleLossyAlready: idleLossyAlready, fastHalfDrained: fastHalfDrained,
  BUSY_MIN_SPAN_MS: BUSY_MIN_SPAN_MS, BURST_RATIO: BURST_RATIO,
  BURST_RATIO_DOWN: BURST_RATIO_DOWN,
  PACE_START_UP_KBPS: PACE_START_UP_KBPS, PACE_MIN_KBPS: PACE_MIN_KBPS, QUEUE_MS: QUEUE_MS, QUEUE_SHARE: QUEUE_SHARE,
  QUEUE_MAX_MS: QUEUE_MAX_MS, BRAKE: BRAKE, BTL_WINDOWS: BTL_WINDOWS, SATURATE_MS: SATURATE_MS,
  SATURATE_GAIN: SATURATE_GAIN, DRAIN_MAX_MS: DRAIN_MAX_MS, WIRE_PACKET_BITS: WIRE_PACKET_BITS,
  wire: wire, median: median, quantile: quantile, medianSince: medianSince, round: round,
  meanAbsDelta: meanAbsDelta, steady: steady, settled: settled, rateEstimate: rateEstimate,
  phaseSettled: phaseSettled, phaseRate: phaseRate, queueTarget: queueTarget, phaseCapMs: phaseCapMs,
  busyRuns: busyRuns, busyRate: busyRate, busyThreshold: busyThreshold, sustainedRate: sustainedRate,
  Pacing: Pacing
};
}(typeof window !== "undefined" ? window : globalThis));
