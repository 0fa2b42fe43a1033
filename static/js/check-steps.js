/* Preflight steps: browser, camera, microphone, speakers. Raw facts only; the server judges
 * (preflight/checks/). Durations and levels come from DEVICE_THRESHOLDS via the page config. */
(function () {
"use strict";
var P = window.Preflight;
var ERRORS = ["NotAllowedError", "SecurityError", "NotFoundError", "NotReadableError", "AbortError", "OverconstrainedError",
  "NotSupportedError", "TypeError", "TimeoutError"];
var W = 160, H = 120, MAX_FRAMES = 60;

function $(sel, root) { return root.querySelector(sel); }
function round(v, digits) { var f = Math.pow(10, digits); return Math.round(v * f) / f; }
function aborted() { var e = new Error("aborted"); e.name = "AbortError"; return e; }
function md() { return navigator.mediaDevices || {}; }
function errorName(err) { var n = err && err.name; return ERRORS.indexOf(n) >= 0 ? n : "UnknownError"; }
function stop(stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
function settingsOf(track) { return track && track.getSettings ? track.getSettings() : {}; }

async function permission(name) {
  try {
    var s = (await navigator.permissions.query({ name: name })).state;
    return ["granted", "denied", "prompt"].indexOf(s) >= 0 ? s : "unknown";
  } catch (e) { return "unknown"; }
}

async function devices(kind) {
  try { return (await md().enumerateDevices()).filter(function (d) { return d.kind === kind; }); } catch (e) { return []; }
}

/* Device names exist only once permission was given. */
function fill(select, list, currentId, labelKey, S) {
  list = list.filter(function (d) { return d.deviceId; });
  if (!list.length) return;
  var chosen = select.value;
  select.textContent = "";
  list.forEach(function (d, i) {
    var o = select.appendChild(document.createElement("option"));
    o.value = d.deviceId;
    o.textContent = d.label || P.format(S[labelKey], { n: i + 1 });
  });
  select.value = list.some(function (d) { return d.deviceId === chosen; }) ? chosen : currentId || list[0].deviceId;
  select.setAttribute("data-in-use", select.value);
  select.disabled = false;
}

/* A stream, or null with the failure's facts in ``out``. */
async function open(kind, select, out) {
  out.permission = await permission(kind === "video" ? "camera" : "microphone");
  out.devices = 0;
  out.chosen = !!(select.value && !select.disabled);
  if (!md().getUserMedia) { out.error = "NotSupportedError"; return null; }
  var constraints = { audio: false, video: false };
  constraints[kind] = out.chosen ? { deviceId: { exact: select.value } } : true;
  try {
    var stream = await navigator.mediaDevices.getUserMedia(constraints);
    var list = await devices(kind + "input");
    out.permission = "granted";
    out.devices = Math.min(64, Math.max(1, list.length));
    fill(select, list, settingsOf(stream.getTracks()[0]).deviceId, kind === "video" ? "camera_n" : "microphone_n", P.config.strings);
    return stream;
  } catch (err) {
    out.error = errorName(err);
    if (err && /^[A-Za-z0-9_ .-]{1,40}$/.test(String(err.constraint))) out.constraint = err.constraint;
    out.devices = Math.min(64, (await devices(kind + "input")).length);
    return null;
  }
}

/* Another device is checked on an explicit choice ("Use this camera", or Enter in the list),
 * never while the participant browses the list with the arrow keys (WCAG 3.2.2); focus stays. */
function deviceChoice(name) {
  var el = document.querySelector('[data-check="' + name + '"]');
  var select = el && $('[data-role="device"]', el), use = el && $('[data-action="use-device"]', el);
  if (!select || !use) return;
  function pending() {
    var idle = !(P.isRunning && P.isRunning());
    return idle && el.hasAttribute("data-verdict") && select.value !== select.getAttribute("data-in-use");
  }
  function apply(keep) {
    use.hidden = true;
    if (P.rerun) P.rerun(name, { keepFocus: keep });
  }
  select.addEventListener("change", function () { use.hidden = !pending(); });
  select.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && pending()) { event.preventDefault(); apply(select); }
  });
  use.addEventListener("click", function () { apply(select); });
}

/* ---- browser ---- */
function codecs(kind) {
  var names = [];
  try {
    RTCRtpSender.getCapabilities(kind).codecs.forEach(function (c) {
      var n = String(c.mimeType).split("/")[1] || "";
      if (!/^(rtx|red|ulpfec|flexfec-03|CN|telephone-event)$/i.test(n) && /^[A-Za-z0-9._-]{1,30}$/.test(n) && names.indexOf(n) < 0) names.push(n);
    });
  } catch (e) { /* no getCapabilities */ }
  return names.slice(0, 40);
}

P.registerStep("browser", {
  run: async function (ctx) {
    var m = md();
    ctx.progress(0.5);
    return {
      secure_context: !!window.isSecureContext,
      features: {
        rtc_peer_connection: typeof window.RTCPeerConnection === "function",
        get_user_media: !!m.getUserMedia,
        enumerate_devices: !!m.enumerateDevices,
        set_sink_id: "setSinkId" in HTMLMediaElement.prototype,
        get_display_media: !!m.getDisplayMedia,
        audio_context: !!(window.AudioContext || window.webkitAudioContext)
      },
      video_codecs: codecs("video"),
      audio_codecs: codecs("audio"),
      cookies_enabled: navigator.cookieEnabled !== false
    };
  }
});

/* ---- camera: per frame (160x120 copy) mean luma, luma variance, mean |difference| to the
 * previous frame. requestVideoFrameCallback sees each new frame and gives the delivered rate;
 * without it, sample every 150 ms (the rate then comes from the track settings). */
function measureVideo(video, ms, ctx) {
  return new Promise(function (resolve, reject) {
    var canvas = document.createElement("canvas"), g, frames = [], previous = null, start = performance.now();
    var first = null, last = null, done = false, timer = null, rvfc = !!video.requestVideoFrameCallback;
    canvas.width = W;
    canvas.height = H;
    g = canvas.getContext("2d", { willReadFrequently: true });

    function analyse() {
      g.drawImage(video, 0, 0, W, H);
      var d = g.getImageData(0, 0, W, H).data, n = W * H, luma = new Float32Array(n), sum = 0, sq = 0, diff = 0;
      for (var i = 0, j = 0; i < n; i++, j += 4) {
        var y = 0.2126 * d[j] + 0.7152 * d[j + 1] + 0.0722 * d[j + 2];
        luma[i] = y;
        sum += y;
        sq += y * y;
        if (previous) diff += Math.abs(y - previous[i]);
      }
      var mean = sum / n;
      frames.push({ luma: round(mean, 2), variance: round(Math.max(0, sq / n - mean * mean), 2), diff: previous ? round(diff / n, 3) : null });
      previous = luma;
    }
    function tick(now, meta) {
      if (done) return;
      if (ctx.signal.aborted) { done = true; clearInterval(timer); reject(aborted()); return; }
      var count = meta ? meta.presentedFrames : 0;
      if (!first) first = { now: now, count: count };
      last = { now: now, count: count };
      // Before the first frame arrives the canvas stays empty: that is no picture, not a black one.
      if (frames.length < MAX_FRAMES && video.readyState >= 2 && video.videoWidth) analyse();
      ctx.progress(0.2 + 0.8 * Math.min(1, (performance.now() - start) / ms));
      if (rvfc) video.requestVideoFrameCallback(tick);
    }
    if (rvfc) video.requestVideoFrameCallback(tick);
    else timer = setInterval(function () { tick(performance.now()); }, 150);
    setTimeout(function () {
      if (done) return;
      done = true;
      clearInterval(timer);
      var fps = rvfc && last && last.now > first.now && last.count > first.count ? ((last.count - first.count) * 1000) / (last.now - first.now) : null;
      resolve({ frames: frames, fps: fps, duration: performance.now() - start });
    }, ms);
  });
}

P.registerStep("camera", {
  run: async function (ctx) {
    var el = ctx.el, video = $('[data-role="video"]', el), preview = $('[data-role="preview"]', el), out = {};
    ctx.progress(0.05, ctx.strings.camera_asking);
    var stream = await open("video", $('[data-role="device"]', el), out);
    if (!stream) return out;
    try {
      var track = stream.getVideoTracks()[0], settings = settingsOf(track);
      preview.hidden = false;
      video.srcObject = stream;
      await video.play().catch(function () {});
      if (!video.videoWidth) await new Promise(function (r) { video.onloadedmetadata = r; setTimeout(r, 3000); });
      ctx.progress(0.2, ctx.strings.camera_measuring);
      var m = await measureVideo(video, ctx.config.thresholds.cameraMeasureMs, ctx);
      out.width = video.videoWidth || settings.width || 0;
      out.height = video.videoHeight || settings.height || 0;
      if (m.fps != null) out.fps = round(Math.min(1000, m.fps), 2);
      if (settings.frameRate) out.settings_fps = round(Math.min(1000, settings.frameRate), 2);
      out.duration_ms = Math.min(60000, Math.round(m.duration));
      out.frames = m.frames;
      out.track_muted = !!track.muted;
      return out;
    } finally {
      stop(stream);
      video.srcObject = null;
      preview.hidden = true;
    }
  }
});

/* ---- microphone: every 40 ms the last 2048 samples (~43 ms): peak, RMS, clipped runs.
 * Judged on the loudest window, not the mean: speech has pauses. */
function dbfs(v, floor) { return v > 0 ? Math.max(floor, Math.min(6, 20 * Math.log10(v))) : floor; }

function measureAudio(analyser, T, meter, ctx) {
  return new Promise(function (resolve, reject) {
    var buf = new Float32Array(analyser.fftSize), floor = T.dbfsFloor, peak = 0, maxRms = 0, sumRms = 0, windows = 0, longest = 0, clipped = 0;
    var start = performance.now();
    var timer = setInterval(function () {
      if (ctx.signal.aborted) { clearInterval(timer); reject(aborted()); return; }
      analyser.getFloatTimeDomainData(buf);
      var sq = 0, run = 0;
      for (var i = 0; i < buf.length; i++) {
        var s = Math.abs(buf[i]);
        if (s > peak) peak = s;
        sq += s * s;
        if (s >= T.clipLevel) { run++; clipped++; if (run > longest) longest = run; } else run = 0;
      }
      var rms = Math.sqrt(sq / buf.length), elapsed = performance.now() - start;
      maxRms = Math.max(maxRms, rms);
      sumRms += rms;
      windows++;
      meter.value = Math.max(-60, dbfs(rms, floor));
      ctx.progress(0.1 + 0.9 * Math.min(1, elapsed / T.micMeasureMs));
      if (elapsed < T.micMeasureMs) return;
      clearInterval(timer);
      resolve({ duration_ms: Math.round(elapsed), peak_dbfs: round(dbfs(peak, floor), 2), rms_dbfs: round(dbfs(maxRms, floor), 2),
        mean_rms_dbfs: round(dbfs(sumRms / windows, floor), 2), clipped_run: longest, clipped_samples: clipped, windows: windows });
    }, 40);
  });
}

/* The same figures from a MediaRecorder recording decoded afterwards (decodeAudioData does not
 * need a running context). Resolves null where the browser can do neither. */
function measureRecorded(stream, ac, ctx) {
  var T = ctx.config.thresholds;
  if (!window.MediaRecorder) return Promise.resolve(null);
  return new Promise(function (resolve) {
    var chunks = [], rec;
    try { rec = new MediaRecorder(stream); } catch (e) { resolve(null); return; }
    rec.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
    rec.onerror = function () { resolve(null); };
    rec.onstop = async function () {
      try {
        var data = await new Blob(chunks, { type: rec.mimeType }).arrayBuffer();
        var audio = await ac.decodeAudioData(data), buf = audio.getChannelData(0), n = 2048, floor = T.dbfsFloor;
        var peak = 0, maxRms = 0, sumRms = 0, windows = 0, longest = 0, clipped = 0, run = 0;
        for (var w = 0; w + n <= buf.length; w += n) {
          var sq = 0;
          for (var i = w; i < w + n; i++) {
            var v = Math.abs(buf[i]);
            if (v > peak) peak = v;
            sq += v * v;
            if (v >= T.clipLevel) { run++; clipped++; if (run > longest) longest = run; } else run = 0;
          }
          var rms = Math.sqrt(sq / n);
          maxRms = Math.max(maxRms, rms); sumRms += rms; windows++;
        }
        if (!windows) { resolve(null); return; }
        resolve({ duration_ms: Math.round(1000 * audio.duration), peak_dbfs: round(dbfs(peak, floor), 2), rms_dbfs: round(dbfs(maxRms, floor), 2),
          mean_rms_dbfs: round(dbfs(sumRms / windows, floor), 2), clipped_run: longest, clipped_samples: clipped, windows: windows,
          sample_rate: audio.sampleRate });
      } catch (e) { resolve(null); }
    };
    var start = performance.now();
    rec.start();
    var timer = setInterval(function () {
      var elapsed = performance.now() - start;
      ctx.progress(0.1 + 0.9 * Math.min(1, elapsed / T.micMeasureMs));
      if (elapsed < T.micMeasureMs + 250 && !ctx.signal.aborted) return;
      clearInterval(timer);
      rec.stop();
    }, 100);
  });
}

P.registerStep("microphone", {
  run: async function (ctx) {
    var el = ctx.el, row = $('[data-role="meter-row"]', el), out = {}, ac = ctx.audio(), source = null;
    ctx.progress(0.05, ctx.strings.mic_asking);
    var stream = await open("audio", $('[data-role="device"]', el), out);
    if (!stream) return out;
    if (!ac) { stop(stream); out.error = "NotSupportedError"; return out; }
    try {
      if (ac.state !== "running") await Promise.race([ac.resume(), new Promise(function (r) { setTimeout(r, 1000); })]);
      source = ac.createMediaStreamSource(stream);
      var analyser = ac.createAnalyser();
      analyser.fftSize = 2048;
      source.connect(analyser);
      row.hidden = false;
      ctx.progress(0.1, ctx.strings.mic_measuring);
      var m = null;
      out.audio_state = ac.state;
      if (ac.state === "running") {
        m = await measureAudio(analyser, ctx.config.thresholds, $('[data-role="meter"]', el), ctx);
        out.audio_state = ac.state;
      }
      // A stalled audio graph (no output device, autoplay rules) reads silence from a working
      // microphone: record the stream instead and decode it, or say it could not be measured.
      if (out.audio_state !== "running") m = await measureRecorded(stream, ac, ctx);
      out.method = out.audio_state === "running" ? "analyser" : "recording";
      if (!m) { out.unmeasured = true; return out; }
      out.sample_rate = Math.round(m.sample_rate || ac.sampleRate);
      delete m.sample_rate;
      Object.keys(m).forEach(function (k) { out[k] = m[k]; });
      return out;
    } finally {
      if (source) source.disconnect();
      stop(stream);
      row.hidden = true;
    }
  }
});

/* ---- speakers: a chime started by the participant's click (autoplay rules) ---- */
P.registerStep("speakers", {
  run: function (ctx) {
    var S = ctx.strings, el = ctx.el, play = $('[data-action="play-sound"]', el), answers = Array.prototype.slice.call(el.querySelectorAll("[data-answer]"));
    var playing = $('[data-role="playing"]', el);
    // "I cannot hear sounds" needs no sound played first; "yes" and "no" answer a sound.
    var heardAnswers = answers.filter(function (b) { return b.getAttribute("data-answer") !== "cannot_hear"; });
    var select = $('[data-role="device"]', el), row = $('[data-role="output-row"]', el), sink = "setSinkId" in HTMLMediaElement.prototype;
    var out = { played: false, plays: 0, output_selection: sink, outputs: 0, output_chosen: false }, sound = null;
    devices("audiooutput").then(function (list) {
      out.outputs = Math.min(64, list.length);
      if (sink && list.some(function (d) { return d.label; })) { fill(select, list, "default", "speaker_n", S); row.hidden = false; }
    });
    return new Promise(function (resolve, reject) {
      function enable(on) { heardAnswers.forEach(function (b) { b.disabled = !on; }); }
      function showPlaying(on) { if (playing) playing.hidden = !on; }
      function finish() {
        play.removeEventListener("click", onPlay);
        answers.forEach(function (b) { b.removeEventListener("click", onAnswer); b.disabled = true; });
        play.disabled = true;
        if (sound) sound.pause();
        showPlaying(false);
      }
      async function onPlay() {
        ctx.status(S.speakers_playing);
        if (sound) sound.pause();
        sound = new Audio(ctx.config.toneUrl);
        sound.addEventListener("playing", function () { showPlaying(true); });
        sound.addEventListener("ended", function () { showPlaying(false); });
        sound.addEventListener("pause", function () { showPlaying(false); });
        if (sink && !row.hidden && select.value) {
          try { await sound.setSinkId(select.value); out.output_chosen = select.value !== "default"; } catch (e) { /* default output */ }
        }
        out.plays = Math.min(100, out.plays + 1);
        try {
          await sound.play();
          out.played = true;
          delete out.play_error;
        } catch (err) {
          var name = errorName(err);
          out.play_error = ["NotAllowedError", "NotSupportedError", "AbortError"].indexOf(name) >= 0 ? name : "UnknownError";
        }
        enable(true);
        ctx.status(S.speakers_answer);
      }
      function onAnswer(event) {
        out.answer = event.currentTarget.getAttribute("data-answer");
        el.focus(); // its buttons get disabled; keep focus in the step
        finish();
        resolve(out);
      }
      play.addEventListener("click", onPlay);
      answers.forEach(function (b) { b.addEventListener("click", onAnswer); });
      ctx.signal.addEventListener("abort", function () { finish(); reject(aborted()); }, { once: true });
      enable(false);
      answers.forEach(function (b) { if (heardAnswers.indexOf(b) < 0) b.disabled = false; });
      play.disabled = false;
      ctx.progress(0.3, S.speakers_play);
      play.focus();
    });
  }
});

deviceChoice("camera");
deviceChoice("microphone");
})();
