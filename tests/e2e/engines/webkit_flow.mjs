// Drive the participant page in WebKitGTK's MiniBrowser through WebKitWebDriver (selenium-webdriver)
// and print each step's verdict, reason and text as JSON. Run under Xvfb (MiniBrowser has no headless mode).
// Usage: node webkit_flow.mjs URL DRIVER_PORT SCENARIO   (SCENARIO: happy | speakers-no | reprobe | verdict)
// reprobe: the participant comes back and, if offered, clicks the re-probe; out.reprobe says what it showed.
// verdict: the staged server's network step (conftest.py), the page framed 360 px wide (URL is the
// phone frame's); out.layout measures the verdict and its IT message, opened as a participant would.
import { Builder, By, until } from "selenium-webdriver";

const [url, port, scenario = "happy"] = process.argv.slice(2);
const STEPS = ["browser", "camera", "microphone", "speakers", "network"];
const caps = {
  browserName: "MiniBrowser",
  "webkitgtk:browserOptions": {
    binary: process.env.PREFLIGHT_MINIBROWSER || "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
    args: ["--automation", "--enable-mock-capture-devices=true", "--enable-media-stream=true"],
  },
};
const out = { steps: {}, scenario };
const driver = await new Builder().usingServer(`http://127.0.0.1:${port}`).withCapabilities(caps).build();
const settled = (name, ms) => driver.wait(until.elementLocated(By.css(
  `[data-check="${name}"][data-verdict="pass"], [data-check="${name}"][data-verdict="warn"], [data-check="${name}"][data-verdict="fail"]`)), ms);

async function deviceSteps() {
  await driver.findElement(By.css('[data-action="start"]')).click();
  for (const name of ["browser", "camera", "microphone"]) await settled(name, 60000);
  const play = await driver.findElement(By.css('[data-check="speakers"] [data-action="play-sound"]'));
  await driver.wait(until.elementIsEnabled(play), 60000);
  await play.click();
  const answer = await driver.findElement(By.css(`[data-answer="${scenario === "speakers-no" ? "no" : "yes"}"]`));
  await driver.wait(until.elementIsEnabled(answer), 20000);
  await answer.click();
  await settled("speakers", 20000);
  await settled("network", 90000);
  return STEPS;
}

// The re-probe: whether it is offered here, and if so what a click on it shows.
async function reprobe() {
  // Complete: the deferred reprobe.js has run and decided on the offer.
  await driver.wait(async () => driver.executeScript("return document.readyState === 'complete'"), 10000);
  const section = await driver.findElements(By.css("[data-reprobe]"));
  out.reprobe = { offered: section.length > 0 && (await section[0].isDisplayed()) };
  if (!out.reprobe.offered) return [];
  const started = Date.now();
  await driver.findElement(By.css('[data-action="reprobe"]')).click();
  await driver.wait(until.elementLocated(By.css(
    '[data-role="reprobe-result"][data-reprobe-result]:not([data-reprobe-result="running"])')), 20000);
  out.reprobe_seconds = (Date.now() - started) / 1000;
  Object.assign(out.reprobe, await driver.executeScript(function () {
    var el = document.querySelector('[data-role="reprobe-result"]');
    return { result: el.getAttribute("data-reprobe-result"), text: el.textContent };
  }));
  return [];
}

// The staged network verdict at a phone's width, its IT message opened.
async function verdict() {
  await driver.switchTo().frame(0);
  await driver.findElement(By.css('[data-action="start"]')).click();
  await settled("network", 20000);
  const summary = await driver.findElements(By.css('[data-check="network"] [data-role="it-message"] summary'));
  if (summary.length) {
    // WebDriver scrolls a target to the top edge, under the sticky progress bar: bring it to the middle first.
    await driver.executeScript("arguments[0].scrollIntoView({block: 'center'})", summary[0]);
    await summary[0].click();
  }
  out.layout = await driver.executeScript(function () {
    var pre = document.querySelector('[data-check="network"] [data-role="it-text"]'), root = document.documentElement;
    var bar = document.querySelector(".progress-card");
    return {
      viewport: window.innerWidth, page_width: root.scrollWidth, viewport_height: window.innerHeight,
      sticky_height: bar ? bar.getBoundingClientRect().height : null,
      pre: pre && { client: pre.clientWidth, scroll: pre.scrollWidth, right: pre.getBoundingClientRect().right, text: pre.innerText }
    };
  });
  return ["network"];
}

try {
  await driver.get(url);
  out.userAgent = await driver.executeScript("return navigator.userAgent");
  const shown = await ({ reprobe, verdict }[scenario] || deviceSteps)();
  for (const name of shown) {
    out.steps[name] = await driver.executeScript(function (n) {
      var el = document.querySelector('[data-check="' + n + '"]'), r = el.querySelector("[data-reason]");
      return { verdict: el.getAttribute("data-verdict"), reason: r ? r.getAttribute("data-reason") : null, text: el.innerText };
    }, name);
  }
} catch (err) {
  out.error = String((err && err.stack) || err);
} finally {
  await driver.quit();
}
process.stdout.write(JSON.stringify(out));
