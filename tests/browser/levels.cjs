// The console's level meters in a real browser (Debian's chromium
// through playwright-core): with a caller sending a tone and one sending
// silence in conference demo, the tone caller's meter rises above
// -40 dB, the silent one's stays below -50 dB, and the conference shows
// its mixer load. A screenshot goes to SHOTS.
//   CAUCUS_URL=http://127.0.0.1:PORT SHOTS=dir node levels.cjs
"use strict";
const { chromium } = require("playwright-core");

const base = process.env.CAUCUS_URL;
const shots = process.env.SHOTS;
const step = (s) => console.log(`[levels] ${s}`);

// The meter's level (dB) of the participant whose first cell names who
// (other cells name others: the whisper selector)
const meterOf = (page, who) => page.evaluate((w) => {
  for (const tr of document.querySelectorAll("#parts tbody tr")) {
    const m = tr.querySelector("[data-meter]");
    if (m && tr.cells[0].textContent.includes(`sip:${w}@`)) return Number(m.dataset.db);
  }
  return null;
}, who);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(base + "/#demo");
    await page.waitForSelector("#parts [data-meter]", { timeout: 8000 });
    step("the roster has meters");
    let loud = null, quiet = null, maxQuiet = -127;
    const until = Date.now() + 10000;
    while (Date.now() < until) {
      loud = await meterOf(page, "loud");
      quiet = await meterOf(page, "quiet");
      if (quiet != null) maxQuiet = Math.max(maxQuiet, quiet);
      if (loud != null && loud > -40) break;
      await page.waitForTimeout(100);
    }
    if (loud == null || loud <= -40) throw new Error(`the tone caller's meter did not move: ${loud}`);
    step(`the tone caller's meter at ${loud} dB`);
    // the silent one watched for another second as the meters move
    for (let i = 0; i < 10; i++) {
      quiet = await meterOf(page, "quiet");
      if (quiet != null) maxQuiet = Math.max(maxQuiet, quiet);
      await page.waitForTimeout(100);
    }
    if (quiet == null || maxQuiet >= -50) throw new Error(`the silent caller's meter rose: ${maxQuiet}`);
    step(`the silent caller's meter stayed at or below ${maxQuiet} dB`);
    const width = await page.evaluate(() => {
      for (const tr of document.querySelectorAll("#parts tbody tr"))
        if (tr.cells[0].textContent.includes("sip:loud@"))
          return parseFloat(tr.querySelector("[data-meter] span").style.width);
      return 0;
    });
    if (!(width > 30)) throw new Error(`the tone caller's bar is ${width}% wide`);
    await page.waitForFunction(() => /mixer load \d/.test(document.querySelector("#mixer-load").textContent),
      null, { timeout: 5000 });
    step(`the conference shows "${await page.textContent("#mixer-load")}"`);
    await page.screenshot({ path: `${shots}/levels.png` });
    if (errors.length) throw new Error("page errors: " + errors.join("; "));
  } catch (e) {
    await page.screenshot({ path: `${shots}/levels-failed.png` }).catch(() => {});
    console.error(e);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
