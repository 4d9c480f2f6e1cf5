// engine.io-client 3.x in a real headless Chromium (playwright-core): loads pages/eio3.html
// from the server under test (which serves it, and the client's browser bundle, itself) and
// reports what the page's client echoed. In a browser the v3 client polls with binary
// payloads (XMLHttpRequest level 2), which it cannot do under Node.
//
//   node tests/node/eio3-browser.mjs --url http://127.0.0.1:PORT/engine.io/eio3.html?transports=polling
//
// Output: JSON lines on stdout; {"ev":"result",...} then {"ev":"pass"}, or {"ev":"fail","message"}.
// Options: --url (required), --chromium PATH (default $CHROMIUM or /usr/bin/chromium),
// --timeout MS (default 15000).
import { parseArgs } from "node:util";

import { emit, log } from "./lib/lines.mjs";

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
    timeout: { type: "string", default: "15000" },
  },
});

async function main() {
  if (!args.url) throw new Error("--url is required");
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: args.chromium,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    await page.goto(args.url);
    await page.waitForFunction(() => window.__result !== undefined, null, {
      timeout: Number(args.timeout),
    });
    const result = await page.evaluate(() => window.__result);
    emit({ ev: "result", ...result, pageErrors: errors });
  } finally {
    await browser.close();
  }
}

try {
  await main();
  emit({ ev: "pass" });
  process.exit(0);
} catch (err) {
  log(err?.stack ?? String(err));
  emit({ ev: "fail", message: String(err?.message ?? err) });
  process.exit(1);
}
