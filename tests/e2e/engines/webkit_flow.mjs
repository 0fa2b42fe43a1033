// Drive the participant page in WebKitGTK's MiniBrowser through WebKitWebDriver (selenium-webdriver)
// and print each step's verdict, reason and text as JSON. Run under Xvfb (MiniBrowser has no headless mode).
// Usage: node webkit_flow.mjs URL DRIVER_PORT SCENARIO   (SCENARIO: happy | speakers-no)
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
try {
  await driver.get(url);
  out.userAgent = await driver.executeScript("return navigator.userAgent");
  await driver.findElement(By.css('[data-action="start"]')).click();
  const settled = (name, ms) => driver.wait(until.elementLocated(By.css(
    `[data-check="${name}"][data-verdict="pass"], [data-check="${name}"][data-verdict="warn"], [data-check="${name}"][data-verdict="fail"]`)), ms);
  for (const name of ["browser", "camera", "microphone"]) await settled(name, 60000);
  const play = await driver.findElement(By.css('[data-check="speakers"] [data-action="play-sound"]'));
  await driver.wait(until.elementIsEnabled(play), 60000);
  await play.click();
  const answer = await driver.findElement(By.css(`[data-answer="${scenario === "speakers-no" ? "no" : "yes"}"]`));
  await driver.wait(until.elementIsEnabled(answer), 20000);
  await answer.click();
  await settled("speakers", 20000);
  await settled("network", 90000);
  for (const name of STEPS) {
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
