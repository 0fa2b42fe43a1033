// The lab's Firefox client: run the participant page's network step in headless Firefox ESR
// (puppeteer-core over WebDriver BiDi, the packages of tests/e2e/engines) and print one JSON line:
// {raw, judged, error, browser} = the network payload the page posted to /c/<token>/results,
// the server's judgement of it, what went wrong, and the browser's version.
// Usage: node firefox_client.mjs URL TOKEN TIMEOUT_S   (bench/netlab/netlab_clients.py runs it)
// Like the Chromium client: only the network step (check-steps*.js is answered with an empty
// script), fake capture devices with permission granted, real host addresses in the candidates.
// PREFLIGHT_NETWORK_TRACE=1 copies the page's console to stderr.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [url, token, timeoutArg = "60"] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg) * 1000;
const trace = process.env.PREFLIGHT_NETWORK_TRACE === "1";
const log = (line) => { if (trace) process.stderr.write(line + "\n"); };

// puppeteer-core lives in tests/e2e/engines/node_modules (npm ci there), not next to this file.
const engines = new URL("../../tests/e2e/engines/package.json", import.meta.url);
const puppeteer = (await import(pathToFileURL(createRequire(engines).resolve("puppeteer-core")).href)).default;

const prefs = {
  // Fake camera and microphone, allowed without a prompt (Chromium: --use-fake-device-for-media-stream
  // and --use-fake-ui-for-media-stream with the permissions granted).
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
  // Real host addresses in the candidates, never mDNS .local names: multicast does not cross the
  // lab's router (Chromium: the capture permission in use has the same effect).
  "media.peerconnection.ice.obfuscate_host_addresses": false,
  // The page is plain http on the lab's address: make it a secure context (getUserMedia,
  // crypto.randomUUID); Chromium: --unsafely-treat-insecure-origin-as-secure.
  "dom.securecontext.allowlist": new URL(url).hostname,
};

const out = { raw: null, judged: null, error: null, browser: null };
let browser;
try {
  browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: process.env.PREFLIGHT_FIREFOX || "/usr/bin/firefox-esr",
    headless: true,
    extraPrefsFirefox: prefs,
    timeout: 60000,
  });
  out.browser = await browser.version();
  const page = await browser.newPage();
  if (trace) {
    await page.evaluateOnNewDocument("window.PREFLIGHT_TRACE = true;");
    page.on("console", (message) => log(message.text()));
    page.on("pageerror", (error) => log(`pageerror: ${error}`));
  }
  // Diagnostics (PREFLIGHT_NETLAB_PROBES=out.json): every echo of the probe channel, as the page sees it.
  if (process.env.PREFLIGHT_NETLAB_PROBES) {
    const { readFileSync } = await import("node:fs");
    await page.evaluateOnNewDocument(readFileSync(new URL("probe_log.js", import.meta.url), "utf8"));
  }
  // Only the network step: the other steps' script is answered with an empty one.
  let intercepting = true;
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    if (request.isInterceptResolutionHandled()) return;
    if (intercepting && /\/static\/js\/check-steps\.[^/]*js$/.test(new URL(request.url()).pathname)) {
      request.respond({ status: 200, contentType: "text/javascript", body: "" });
    } else {
      // Also a request caught while interception is being switched off (the page's config
      // fetch on load): left alone it would wait for ever.
      request.continue().catch(() => {});
    }
  });
  // The page's results post: its network payload and the server's judgement of it.
  const posted = new Promise((resolve) => {
    page.on("response", async (response) => {
      const request = response.request();
      if (request.method() !== "POST" || !new URL(response.url()).pathname.endsWith("/results")) return;
      try {
        const body = JSON.parse((await request.fetchPostData()) || "{}");
        if (!body.checks || !("network" in body.checks)) return;
        out.raw = body.checks.network;
        out.judged = (await response.json()).results.network;
      } catch (err) {
        out.error = `results capture: ${err}`;
      }
      resolve();
    });
  });
  // A participant reaches the network step after the other steps: by then the page has fetched
  // the network config it asks for on load (network.js). Wait for it, as the Chromium client does.
  const configFetched = page
    .waitForResponse((response) => response.url().endsWith("/network/config"), { timeout: 15000 })
    .catch(() => null);
  await page.goto(`${url}/c/${token}`, { waitUntil: "load" });
  // Loaded: stop intercepting, so that no later request (config, offer, results) waits on it.
  intercepting = false;
  await page.setRequestInterception(false);
  // As the Chromium client does: use the capture permission before the check.
  await page.evaluate(() =>
    navigator.mediaDevices.getUserMedia({ audio: true }).then((s) => s.getTracks().forEach((t) => t.stop())),
  );
  await configFetched;
  await page.click('[data-action="start"]');
  await page.waitForSelector('[data-check="network"][data-verdict]', { timeout: timeoutMs });
  await Promise.race([posted, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (!out.judged && !out.error) out.error = "no results post with the network step within 5 s of its verdict";
  if (process.env.PREFLIGHT_NETLAB_PROBES) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(process.env.PREFLIGHT_NETLAB_PROBES, JSON.stringify(await page.evaluate(() => window.__pfProbes)));
  }
} catch (err) {
  out.error = String((err && err.stack) || err);
} finally {
  if (browser) await browser.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + "\n");
