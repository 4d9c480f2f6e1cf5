// Browser smoke test of the chat example's page (examples/chat/static), through a real
// headless Chromium driven by playwright-core.
//
//   node tests/node/chat-browser.mjs --url http://127.0.0.1:3000
//
// Two pages ("alice" and "bob") open the chat; each must connect, take its nickname, join the
// room `rust`; alice types (bob must see "alice is typing…"), alice sends a message, bob must see
// it under alice's name, as plain text. One JSON object per line on stdout tells what was
// observed; exit 0 on success, 1 with a message (stdout JSON and stderr) on the first failure.
//
// Options:
//   --url URL            the chat server (required)
//   --chromium PATH      the browser (default: $CHROMIUM or /usr/bin/chromium)
//   --timeout MS         time allowed for each step (default 10000)
//   --screenshots DIR    save a PNG of both pages at the end (and on failure)
//   --headed             show the browser windows
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch (err) {
  console.error(`chat-browser: playwright-core is missing (npm ci in tests/node): ${err.message}`);
  process.exit(1);
}

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
    timeout: { type: "string", default: "10000" },
    screenshots: { type: "string" },
    headed: { type: "boolean", default: false },
  },
  strict: true,
});

if (!args.url) {
  console.error("usage: node tests/node/chat-browser.mjs --url http://127.0.0.1:PORT [--chromium PATH] [--timeout MS] [--screenshots DIR]");
  process.exit(1);
}
const STEP_MS = Number(args.timeout);
if (!Number.isFinite(STEP_MS) || STEP_MS <= 0) {
  console.error(`chat-browser: bad --timeout ${args.timeout}`);
  process.exit(1);
}

const ROOM = "rust";
// Unique for each run (the server keeps a room's history), with markup that must stay text.
const TOKEN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const TEXT = `hello bob ${TOKEN} <b>not bold</b> & <script>alert(1)</script>`;

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};

// Runs one step with a deadline; a Playwright time-out becomes a readable failure.
async function step(what, fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Failure) throw err;
    fail(`${what}: ${err.message.split("\n")[0]}`);
  }
}

// What a page shows, for the report and for failure diagnostics.
async function snapshot(page) {
  return page.evaluate(() => {
    const text = (id) => (document.getElementById(id) ? document.getElementById(id).textContent : null);
    const conn = document.getElementById("conn");
    return {
      state: conn ? conn.dataset.state : null,
      stateText: text("conn-state"),
      transport: text("conn-transport"),
      nickname: text("me"),
      room: text("room-name"),
      rooms: [...document.querySelectorAll("#room-list li")].map((li) => li.dataset.room),
      activeRooms: [...document.querySelectorAll("#room-list li.active")].map((li) => li.dataset.room),
      typing: text("typing"),
      lastEntries: [...document.querySelectorAll("#messages li")].slice(-5).map((li) => li.textContent),
    };
  });
}

const browser = await chromium
  .launch({
    executablePath: args.chromium,
    headless: !args.headed,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  })
  .catch((err) => {
    console.error(`chat-browser: cannot start Chromium at ${args.chromium}: ${err.message.split("\n")[0]}`);
    process.exit(1);
  });

const users = {};
let exitCode = 0;

try {
  for (const name of ["alice", "bob"]) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    const user = { name, page, pageErrors: [] };
    page.on("pageerror", (err) => {
      user.pageErrors.push(err.message);
      emit({ ev: "pageerror", page: name, message: err.message });
    });
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") {
        emit({ ev: "console", page: name, type: msg.type(), text: msg.text() });
      }
    });
    users[name] = user;
  }
  const { alice, bob } = users;

  // 1. Both pages open and connect at once, before any nickname is chosen.
  for (const user of [alice, bob]) {
    const { page, name } = user;
    await step(`${name}: open ${args.url}`, () => page.goto(args.url, { waitUntil: "load" }));
    await step(`${name}: wait for the connection`, () =>
      page.waitForSelector('#conn[data-state="connected"]'));
    // `welcome` gives the guest nickname and the room `general`.
    await step(`${name}: wait for the welcome (guest nickname)`, () =>
      page.waitForFunction(() => {
        const me = document.getElementById("me").textContent;
        return me && me !== "…" && !document.getElementById("nick-input").disabled;
      }));
    const s = await snapshot(page);
    if (!s.activeRooms.includes("general")) fail(`${name}: not in room general after the welcome: ${JSON.stringify(s)}`);
    emit({ ev: "connected", page: name, transport: s.transport, guest: s.nickname, rooms: s.rooms });
  }

  // 2. Nicknames, chosen after connecting.
  for (const user of [alice, bob]) {
    const { page, name } = user;
    await page.fill("#nick-input", name);
    await page.click("#nick-btn");
    await step(`${name}: wait for the nickname to be accepted`, () =>
      page.waitForFunction((n) => document.getElementById("me").textContent === n, name));
    const err = await page.locator("#nick-error").textContent();
    if (await page.locator("#nick-error").isVisible()) fail(`${name}: nickname refused: ${err}`);
    emit({ ev: "nickname", page: name, nickname: name });
  }

  // 3. alice, then bob, join `rust`: it is highlighted in the list and shown.
  for (const user of [alice, bob]) {
    const { page, name } = user;
    await page.fill("#join-input", ROOM);
    await page.press("#join-input", "Enter");
    await step(`${name}: wait to be in #${ROOM}`, () =>
      page.waitForFunction(
        (room) =>
          document.getElementById("room-name").textContent === room &&
          document.querySelector(`#room-list li.active[data-room="${room}"]`) !== null,
        ROOM,
      ));
    const s = await snapshot(page);
    emit({ ev: "joined", page: name, room: ROOM, rooms: s.rooms, active: s.activeRooms });
  }
  // alice is told that bob joined (a notice in #rust); reported, not required.
  const joinedNotice = await alice.page
    .waitForFunction(
      () => [...document.querySelectorAll("#messages li.notice")].some((li) => li.textContent.includes("bob joined")),
      null,
      { timeout: 2000 },
    )
    .then(() => true, () => false);
  emit({ ev: "joinedNotice", page: "alice", seen: joinedNotice });

  // 4. alice types: bob sees the typing indicator.
  await alice.page.click("#composer-input");
  await alice.page.locator("#composer-input").pressSequentially(TEXT.slice(0, 10), { delay: 40 });
  await step("bob: wait for the typing indicator", () =>
    bob.page.waitForFunction(() => /alice is typing/.test(document.getElementById("typing").textContent)));
  emit({ ev: "typing", page: "bob", indicator: await bob.page.locator("#typing").textContent() });

  // 5. alice sends: bob gets the message under alice's name, as text (no markup).
  await alice.page.locator("#composer-input").pressSequentially(TEXT.slice(10), { delay: 5 });
  await alice.page.press("#composer-input", "Enter");
  const message = await step("bob: wait for alice's message", async () => {
    const li = bob.page.locator("#messages li.message", { hasText: TOKEN }).first();
    await li.waitFor();
    return li.evaluate((node) => ({
      from: node.querySelector(".from").textContent,
      text: node.querySelector(".text").textContent,
      time: node.querySelector(".time").textContent,
      markup: node.querySelector(".text").children.length,
    }));
  });
  emit({ ev: "message", page: "bob", room: ROOM, ...message });
  if (message.from !== "alice") fail(`bob sees the message from ${JSON.stringify(message.from)}, not alice`);
  if (message.text !== TEXT) fail(`bob sees the text ${JSON.stringify(message.text)}, not ${JSON.stringify(TEXT)}`);
  if (message.markup !== 0) fail("the message text was rendered as markup");

  // alice sees her own message (the broadcast includes the sender) and her field is cleared.
  await step("alice: wait for her own message", () =>
    alice.page.locator("#messages li.message.mine", { hasText: TOKEN }).first().waitFor());
  const draft = await alice.page.inputValue("#composer-input");
  if (draft !== "") fail(`alice's message field was not cleared after sending: ${JSON.stringify(draft)}`);
  emit({ ev: "echo", page: "alice", room: ROOM });

  // Sending ends typing: bob's indicator goes away.
  await step("bob: wait for the typing indicator to go away", () =>
    bob.page.waitForFunction(() => document.getElementById("typing").textContent === ""));
  emit({ ev: "typingCleared", page: "bob" });

  for (const user of [alice, bob]) {
    if (user.pageErrors.length > 0) fail(`${user.name}: uncaught errors in the page: ${user.pageErrors.join("; ")}`);
  }
  emit({ ev: "ok" });
} catch (err) {
  exitCode = 1;
  const message = err instanceof Failure ? err.message : `unexpected error: ${err.stack || err}`;
  for (const user of Object.values(users)) {
    const s = await snapshot(user.page).catch(() => null);
    if (s) emit({ ev: "state", page: user.name, ...s });
  }
  emit({ ev: "fail", message });
  console.error(`chat-browser: FAILED: ${message}`);
} finally {
  if (args.screenshots) {
    mkdirSync(args.screenshots, { recursive: true });
    for (const user of Object.values(users)) {
      const path = join(args.screenshots, `chat-${user.name}.png`);
      await user.page.screenshot({ path }).then(() => emit({ ev: "screenshot", page: user.name, path }), () => {});
    }
  }
  await browser.close().catch(() => {});
}
process.exit(exitCode);
