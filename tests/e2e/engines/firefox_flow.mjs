// Drive the participant page in Firefox ESR over WebDriver BiDi (puppeteer-core) and print what
// each step shows as JSON: {steps: {name: {verdict, reason, text}}, userAgent}.
// Usage: node firefox_flow.mjs URL SCENARIO
//   (SCENARIO: happy | denied | speakers-no | network-only | reprobe | verdict)
// The device scenarios leave the network step out (tested over a routed path instead).
// network-only: only the network step runs (the other steps' script is not loaded), with no
// capture permission (so Firefox hides its host address behind an mDNS name, as for a participant
// who denied the camera) and default WebRTC prefs; a plain-http URL host is made a secure context.
// reprobe: as network-only, but the participant clicks the re-probe offer; out.reprobe is what it shows.
// verdict: the staged server's network step (conftest.py) at a 360 px wide viewport; out.layout
// measures the verdict and its IT message, opened as a participant would.
import puppeteer from "puppeteer-core";

const [url, scenario = "happy"] = process.argv.slice(2);
const STEPS = ["browser", "camera", "microphone", "speakers", "network"];
const prefs = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": scenario === "happy" || scenario === "speakers-no",
  // Autoplay: the test sound starts from a click, as a participant's would.
  "media.autoplay.default": 0,
};
const noCapture = scenario === "network-only" || scenario === "reprobe";
if (scenario === "denied" || noCapture) {
  Object.assign(prefs, { "permissions.default.camera": 2, "permissions.default.microphone": 2 });
}
if (noCapture) prefs["dom.securecontext.allowlist"] = new URL(url).hostname;

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: process.env.PREFLIGHT_FIREFOX || "/usr/bin/firefox-esr",
  headless: true,
  extraPrefsFirefox: prefs,
  timeout: 60000,
});
const out = { steps: {}, scenario };
const judged = (name) =>
  ["pass", "warn", "fail"].map((v) => `[data-check="${name}"][data-verdict="${v}"]`).join(", ");
const enabled = (selector) => (s) => { const b = document.querySelector(s); return b && !b.disabled; };

// Scripts left out, answered with an empty one: the network step in the device scenarios (over
// loopback Firefox gathers no candidates; the routed test covers it), the other steps in
// network-only.
const LEFT_OUT = scenario === "network-only" ? /\/static\/js\/check-steps\.[^/]*js$/ : /\/static\/js\/network[^/]*\.js$/;
async function leaveOut(page) {
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    if (LEFT_OUT.test(new URL(request.url()).pathname)) {
      request.respond({ status: 200, contentType: "text/javascript", body: "" });
    } else {
      request.continue();
    }
  });
}

// The device steps in page order, answering the speakers question as the scenario says.
async function deviceSteps(page) {
  await page.click('[data-action="start"]');
  for (const name of ["browser", "camera", "microphone"]) await page.waitForSelector(judged(name), { timeout: 40000 });
  const play = '[data-check="speakers"] [data-action="play-sound"]';
  await page.waitForFunction(enabled(play), { timeout: 40000 }, play);
  await page.click(play);
  const answer = `[data-answer="${scenario === "speakers-no" ? "no" : "yes"}"]`;
  await page.waitForFunction(enabled(answer), { timeout: 20000 }, answer);
  await page.click(answer);
  await page.waitForSelector(judged("speakers"), { timeout: 20000 });
  return STEPS.filter((name) => name !== "network");
}

// The re-probe: the offer, a click on it, the server's answer in words (data-reprobe-result).
async function reprobe(page) {
  await page.waitForSelector("[data-reprobe]", { visible: true, timeout: 20000 });
  const started = Date.now();
  await page.click('[data-action="reprobe"]');
  const done = '[data-role="reprobe-result"]:not([data-reprobe-result="running"])[data-reprobe-result]';
  await page.waitForSelector(done, { timeout: 20000 });
  out.reprobe_seconds = (Date.now() - started) / 1000;
  out.reprobe = await page.$eval('[data-role="reprobe-result"]', (el) => ({
    result: el.getAttribute("data-reprobe-result"), text: el.textContent,
  }));
  return [];
}

// The staged network verdict at a phone's width, its IT message opened.
async function verdict(page) {
  await page.click('[data-action="start"]');
  await page.waitForSelector(judged("network"), { timeout: 20000 });
  const summary = '[data-check="network"] [data-role="it-message"] summary';
  if (await page.$(summary)) await page.click(summary);
  out.layout = await page.evaluate(() => {
    const pre = document.querySelector('[data-check="network"] [data-role="it-text"]');
    const root = document.documentElement, bar = document.querySelector(".progress-card");
    return {
      viewport: window.innerWidth, page_width: root.scrollWidth, viewport_height: window.innerHeight,
      sticky_height: bar ? bar.getBoundingClientRect().height : null,
      pre: pre && { client: pre.clientWidth, scroll: pre.scrollWidth, right: pre.getBoundingClientRect().right, text: pre.innerText },
    };
  });
  return ["network"];
}

// Only the network step.
async function networkOnly(page) {
  const started = Date.now();
  await page.click('[data-action="start"]');
  await page.waitForSelector(judged("network"), { timeout: 90000 });
  out.network_seconds = (Date.now() - started) / 1000;
  return ["network"];
}

// The page, as a participant opens it. Firefox's first navigation over BiDi has, rarely, never
// reached the server (a 30 s timeout, no request in the server's log, in a full test run only);
// a participant would reload, and so does this, once: out.reloaded says it happened.
async function open(page) {
  try {
    await page.goto(url, { waitUntil: "load", timeout: 30000 });
  } catch (err) {
    if (!/Navigation timeout/.test(String(err))) throw err;
    out.reloaded = String(err).split("\n")[0];
    await page.goto(url, { waitUntil: "load", timeout: 30000 });
  }
}

try {
  const page = await browser.newPage();
  out.userAgent = await browser.userAgent();
  if (scenario === "verdict") await page.setViewport({ width: 360, height: 740 });
  else if (scenario !== "reprobe") await leaveOut(page);
  page.on("pageerror", (err) => (out.page_errors = out.page_errors || []).push(String(err)));
  await open(page);
  const run = { "network-only": networkOnly, reprobe, verdict }[scenario] || deviceSteps;
  const shown = await run(page);
  for (const name of shown) {
    out.steps[name] = await page.$eval(`[data-check="${name}"]`, (el) => ({
      verdict: el.getAttribute("data-verdict"),
      reason: (el.querySelector("[data-reason]") || {}).getAttribute ? el.querySelector("[data-reason]").getAttribute("data-reason") : null,
      text: el.innerText,
    }));
  }
} catch (err) {
  out.error = String(err && err.stack || err);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out));
