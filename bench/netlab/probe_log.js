/* Lab diagnostics, injected before the page's scripts when PREFLIGHT_NETLAB_PROBES=out.json is set
 * (both browser clients; off in normal runs): what the page's probe channel sends and receives.
 * window.__pfProbes = {opens: {label: [ms]}, echoes: [[ms, tag, seq, rtt_ms, down_transit_ms]],
 * sends: [[ms, seq, bufferedAmount before the send]] (every probe sent with bytes still buffered,
 * and every 10th otherwise)}; the client writes it to the file once the step has its verdict. */
(function () {
  var log = (window.__pfProbes = { echoes: [], sends: [], opens: {} });
  var create = RTCPeerConnection.prototype.createDataChannel;
  RTCPeerConnection.prototype.createDataChannel = function (label, options) {
    var channel = create.call(this, label, options);
    channel.addEventListener("open", function () { (log.opens[label] = log.opens[label] || []).push(performance.now()); });
    if (label !== "probe") return channel;
    channel.addEventListener("message", function (ev) {
      if (!(ev.data instanceof ArrayBuffer) || ev.data.byteLength !== 32) return;
      var d = new DataView(ev.data), t = performance.now();
      log.echoes.push([t, d.getUint8(1), d.getUint32(4), t - d.getFloat64(16), t - d.getFloat64(24)]);
    });
    var send = channel.send;
    channel.send = function (data) {
      if (data && data.byteLength === 16) {
        var seq = new DataView(data).getUint32(4), buffered = channel.bufferedAmount;
        if (buffered > 0 || seq % 10 === 0) log.sends.push([performance.now(), seq, buffered]);
      }
      return send.call(this, data);
    };
    return channel;
  };
}());
