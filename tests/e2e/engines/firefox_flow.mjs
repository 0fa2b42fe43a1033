// Drive the participant page in Firefox ESR over WebDriver BiDi (puppeteer-core) and print what
// each step shows as JSON: {steps: {name: {verdict, reason, text}}, userAgent}.
// Usage: node firefox_flow.mjs URL SCENARIO   (SCENARIO: happy | denied | speakers-no)
import puppeteer from "puppeteer-core";

const [url, scenario = "happy"] = process.argv.slice(2);
const STEPS = ["browser", "camera", "microphone", "speakers", "network"];
const prefs = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": scenario !== "denied",
  // Autoplay: the test sound starts from a click, as a participant's would.
  "media.autoplay.default": 0,
};
if (scenario === "denied") Object.assign(prefs, { "permissions.default.camera": 2, "permissions.default.microphone": 2 });

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: process.env.PREFLIGHT_FIREFOX || "/usr/bin/firefox-esr",
  headless: true,
  extraPrefsFirefox: prefs,
  timeout: 60000,
});
const out = { steps: {}, scenario };
try {
  const page = await browser.newPage();
  out.userAgent = await browser.userAgent();
  await page.goto(url, { waitUntil: "load" });
  await page.click('[data-action="start"]');
  const verdict = (name, timeout) => page.waitForSelector(
    `[data-check="${name}"][data-verdict="pass"], [data-check="${name}"][data-verdict="warn"], [data-check="${name}"][data-verdict="fail"]`,
    { timeout });
  for (const name of ["browser", "camera", "microphone"]) await verdict(name, 40000);
  const play = '[data-check="speakers"] [data-action="play-sound"]';
  await page.waitForFunction((s) => { const b = document.querySelector(s); return b && !b.disabled; }, { timeout: 40000 }, play);
  await page.click(play);
  const answer = `[data-answer="${scenario === "speakers-no" ? "no" : "yes"}"]`;
  await page.waitForFunction((s) => { const b = document.querySelector(s); return b && !b.disabled; }, { timeout: 20000 }, answer);
  await page.click(answer);
  await verdict("speakers", 20000);
  await verdict("network", 90000);
  for (const name of STEPS) {
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
