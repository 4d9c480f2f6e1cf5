// Browser tests of the chat example (examples/chat): its own page, in a real headless Chromium
// driven by playwright-core, against a running chat server. Each scenario checks what the
// user sees on the page AND what travelled on the wire (chat-wire.mjs records every Engine.IO /
// Socket.IO packet of each page).
//
//   node tests/node/chat-browser.mjs --url http://127.0.0.1:3000 --scenario rooms
//
// Scenarios (one per run; the Rust test tests/tests/chat_browser.rs gives each a fresh server):
//   rooms     alice and bob chat both ways in #rust; carol, in #ops, sees none of it
//             (with --screenshot PATH: the README's picture of alice's page, before the exchange)
//   upgrade   alice starts on long-polling and is upgraded to WebSocket while she and bob send
//             a burst; every message arrives once
//   polling   pat's WebSockets are blocked (the page keeps its default options): it stays on
//             long-polling and chats, files included, with wes on WebSocket
//   file      an image and a binary file, each way, arrive byte-identical
//   restart   the server stops and starts again on the same port: the pages show they are
//             offline, reconnect, take back nickname and rooms; typing and members recover
//   crowd     20 pages in one browser: every message reaches every page exactly once
//
// Output: one JSON object per line on stdout (diagnostics on stderr). The last line is
// {"ev":"pass"} or {"ev":"fail","message":..}; the exit code is 0 or 1 accordingly.
// `restart` needs a controller: it prints {"ev":"server","action":"stop"|"start"} and waits for
// {"cmd":"stopped"} / {"cmd":"started"} on stdin.
//
// Options:
//   --url URL            the chat server (required)
//   --scenario NAME      one of the above (required)
//   --chromium PATH      the browser (default: $CHROMIUM or /usr/bin/chromium)
//   --timeout MS         time allowed for each step (default 15000)
//   --screenshot PATH    rooms: where to write the README's screenshot (PNG)
//   --artifacts DIR      on failure, a screenshot of every page goes there
//   --headed             show the browser
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join as joinPath } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

import { emit, log } from "./lib/lines.mjs";
import { Wire, sha256 } from "./chat-wire.mjs";

let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch (err) {
  log(`playwright-core is missing (npm ci in tests/node): ${err.message}`);
  emit({ ev: "fail", message: "playwright-core is missing: run scripts/test (npm ci in tests/node)" });
  process.exit(1);
}

const { values: args } = parseArgs({
  options: {
    url: { type: "string" },
    scenario: { type: "string" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
    timeout: { type: "string", default: "15000" },
    screenshot: { type: "string" },
    artifacts: { type: "string" },
    headed: { type: "boolean", default: false },
  },
  strict: true,
});

const SCENARIOS = { rooms, upgrade, polling, file, restart, crowd };
if (!args.url || !SCENARIOS[args.scenario]) {
  log(`usage: node tests/node/chat-browser.mjs --url http://127.0.0.1:PORT --scenario ${Object.keys(SCENARIOS).join("|")}`);
  emit({ ev: "fail", message: `bad arguments: --url ${args.url} --scenario ${args.scenario}` });
  process.exit(1);
}
const URL_ = args.url.replace(/\/$/, "") + "/";
const STEP_MS = Number(args.timeout);
const SCENARIO = args.scenario;
// Unique per run, in every text sent, so that nothing is confused with anything else.
const RUN = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;

class Failure extends Error {}

function check(condition, message, details) {
  if (!condition) throw new Failure(details === undefined ? message : `${message}: ${JSON.stringify(details)}`);
}

const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/** Runs a step; a Playwright time-out or error becomes a readable failure. */
async function step(what, fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Failure) throw err;
    throw new Failure(`${what}: ${firstLine(err)}`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the controller (the Rust test), on stdin ------------------------------------------------

const control = {
  lines: [],
  waiters: [],
  ended: false,
  start() {
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
    rl.on("line", (line) => {
      if (line.trim() === "") return;
      let cmd;
      try {
        cmd = JSON.parse(line);
      } catch {
        log(`ignoring a non-JSON line on stdin: ${line}`);
        return;
      }
      this.lines.push(cmd);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    rl.on("close", () => {
      this.ended = true;
      this.waiters.splice(0).forEach((wake) => wake());
    });
  },
  async expect(name, ms) {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.lines.findIndex((cmd) => cmd.cmd === name);
      if (i !== -1) return this.lines.splice(i, 1)[0];
      check(!this.ended, `no controller on stdin to answer ${JSON.stringify(name)} (run it from the Rust test)`);
      const left = deadline - Date.now();
      check(left > 0, `the controller did not answer ${JSON.stringify(name)} within ${ms} ms`);
      await new Promise((wake) => {
        this.waiters.push(wake);
        setTimeout(wake, left);
      });
    }
  },
};

/** Asks the controller to stop or start the chat server, and waits until it is done. */
async function server(action) {
  emit({ ev: "server", action });
  await control.expect(action === "stop" ? "stopped" : "started", 30000);
  emit({ ev: "serverDone", action });
}

// ---- pages -------------------------------------------------------------------------------

const CONTEXT = {
  viewport: { width: 1100, height: 640 },
  deviceScaleFactor: 1,
  locale: "en-US",
  timezoneId: "UTC",
  colorScheme: "light",
  acceptDownloads: true,
};

let browser;
const users = [];

/** A user: a page (in its own context unless one is given) and the recording of its wire. */
async function newUser(name, { context, setup } = {}) {
  const ctx = context ?? (await browser.newContext(CONTEXT));
  const page = await ctx.newPage();
  page.setDefaultTimeout(STEP_MS);
  const user = { name, page, context: ctx, wire: new Wire(page), errors: [] };
  page.on("pageerror", (err) => {
    user.errors.push(err.message);
    emit({ ev: "pageerror", page: name, message: err.message });
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") emit({ ev: "console", page: name, text: msg.text() });
  });
  users.push(user);
  if (setup) await setup(user);
  return user;
}

const until = (user, what, fn, arg) =>
  step(`${user.name}: ${what}`, () => user.page.waitForFunction(fn, arg, { polling: 50 }));

/** Opens the chat and waits for the welcome (connected, a guest nickname, forms enabled). */
async function open(user) {
  await step(`${user.name}: open ${URL_}`, () => user.page.goto(URL_, { waitUntil: "load" }));
  await waitConnected(user);
}

async function waitConnected(user) {
  await until(user, "wait for the connection and the welcome", () =>
    document.getElementById("conn").dataset.state === "connected" &&
    document.getElementById("me").textContent !== "…" &&
    !document.getElementById("nick-input").disabled);
}

async function waitTransport(user, transport) {
  await until(user, `wait for the transport ${transport} on the page`, (t) =>
    document.getElementById("conn").dataset.state === "connected" &&
    document.getElementById("conn-transport").textContent === t, transport);
}

async function nickname(user, nick) {
  await user.page.fill("#nick-input", nick);
  await user.page.press("#nick-input", "Enter");
  await until(user, `wait to be called ${nick}`, (n) => document.getElementById("me").textContent === n, nick);
  user.nick = nick;
}

async function join(user, room) {
  await user.page.fill("#join-input", room);
  await user.page.press("#join-input", "Enter");
  await until(user, `wait to be in #${room}`, (r) =>
    document.getElementById("room-name").textContent === r &&
    document.querySelector(`#room-list li.active[data-room="${r}"]`) !== null, room);
}

async function switchRoom(user, room) {
  await user.page.click(`#room-list li[data-room="${room}"] .room-btn`);
  await until(user, `wait to show #${room}`, (r) => document.getElementById("room-name").textContent === r, room);
}

/** Types a message in the composer and sends it with Enter, as a user would. */
async function say(user, text) {
  await user.page.fill("#composer-input", text);
  await user.page.press("#composer-input", "Enter");
}

/** The messages of the room on screen: { kind, from, text, mine, name }. */
function shown(user) {
  return user.page.evaluate(() =>
    [...document.querySelectorAll("#messages li.message")].map((li) => ({
      kind: li.classList.contains("file") ? "file" : "message",
      from: li.dataset.from,
      text: li.querySelector(".text")?.textContent ?? null,
      name: li.querySelector(".attachment a")?.getAttribute("download") ?? null,
      mine: li.classList.contains("mine"),
    })));
}

/** Waits until the room on screen shows every text at least once. */
async function waitShown(user, texts) {
  await until(user, `wait for ${texts.length} message(s) on the page`, (want) => {
    const have = new Set([...document.querySelectorAll("#messages li.message .text")].map((n) => n.textContent));
    return want.every((t) => have.has(t));
  }, texts);
}

/** Each expected text exactly once, nothing foreign: the summary the Rust test asserts. */
function delivery(where, page, items, expected, allowed = []) {
  const counts = new Map();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  const missing = expected.filter((t) => !counts.has(t));
  const doubled = expected.filter((t) => (counts.get(t) ?? 0) > 1);
  const unexpected = [...counts.keys()].filter((t) => !expected.includes(t) && !allowed.includes(t));
  const once = expected.filter((t) => counts.get(t) === 1).length;
  const summary = { ev: "delivery", where, page, expected: expected.length, once, missing, doubled, unexpected };
  emit(summary);
  check(missing.length === 0 && doubled.length === 0 && unexpected.length === 0,
    `${page} (${where}): not every message exactly once`, summary);
  return summary;
}

/** What the page shows of the room on screen, checked: each text once, from whom it should be. */
async function checkPage(user, expected, from, { allowed = [] } = {}) {
  // A late duplicate would come right behind the last message.
  await sleep(250);
  const list = (await shown(user)).filter((m) => m.kind === "message");
  for (const m of list) {
    if (from.has(m.text)) {
      check(m.from === from.get(m.text), `${user.name} shows ${JSON.stringify(m.text)} from ${m.from}`, { expected: from.get(m.text) });
      check(m.mine === (m.from === user.nick), `${user.name}: "mine" is wrong for ${JSON.stringify(m.text)}`);
    }
  }
  return delivery("page", user.name, list.map((m) => m.text), expected, allowed);
}

/** What the page received on the wire: `message` events, each expected text once. */
async function checkWireIn(user, expected, from, { allowed = [], room } = {}) {
  const events = await user.wire.events("in", "message");
  for (const e of events) {
    const m = e.args[0];
    if (from.has(m.text)) check(m.from === from.get(m.text), `${user.name} received ${m.text} from ${m.from}`);
    if (room && expected.includes(m.text)) check(m.room === room, `${user.name} received ${m.text} for #${m.room}`);
  }
  return delivery("wire-in", user.name, events.map((e) => e.args[0].text), expected, allowed);
}

/** What the page sent on the wire: its `message` events, each once, each acknowledged ok. */
async function checkWireOut(user, expected, { allowed = [] } = {}) {
  const sent = await user.wire.events("out", "message");
  const acks = (await user.wire.sio("in")).filter((p) => p.type === "ACK");
  for (const e of sent.filter((e) => expected.includes(e.args[0].text))) {
    check(e.id !== null, `${user.name} sent ${e.args[0].text} without asking for an ack`);
    const answers = acks.filter((a) => a.id === e.id && a.sid === e.sid);
    check(answers.length === 1 && answers[0].data?.[0]?.ok === true,
      `${user.name}: the ack of ${e.args[0].text} (id ${e.id})`, answers.map((a) => a.data));
  }
  return delivery("wire-out", user.name, sent.map((e) => e.args[0].text), expected, allowed);
}

async function members(user) {
  return user.page.evaluate(() => {
    const list = document.getElementById("member-list");
    return {
      names: [...list.querySelectorAll("li")].map((li) => li.dataset.nickname),
      stale: list.dataset.stale === "true",
      count: document.getElementById("members-count").textContent,
      typing: [...list.querySelectorAll("li")].filter((li) => li.querySelector(".typing-dots")).map((li) => li.dataset.nickname),
    };
  });
}

async function waitMembers(user, names) {
  const want = [...names].sort();
  await until(user, `wait for the members ${want.join(", ")}`, (w) => {
    const list = document.getElementById("member-list");
    const have = [...list.querySelectorAll("li")].map((li) => li.dataset.nickname).sort();
    return list.dataset.stale === "false" && JSON.stringify(have) === JSON.stringify(w);
  }, want);
  const m = await members(user);
  check(m.count === String(want.length), `${user.name}: the member count shows ${m.count}`, m);
  return m;
}

async function typingText(user) {
  return user.page.locator("#typing").textContent();
}

/** A snapshot of a page for diagnostics. */
async function snapshot(user) {
  return user.page.evaluate(() => {
    const text = (id) => document.getElementById(id)?.textContent ?? null;
    return {
      state: document.getElementById("conn").dataset.state,
      stateText: text("conn-state"),
      transport: text("conn-transport"),
      nickname: text("me"),
      room: text("room-name"),
      rooms: [...document.querySelectorAll("#room-list li")].map((li) => li.dataset.room),
      members: [...document.querySelectorAll("#member-list li")].map((li) => li.dataset.nickname),
      typing: text("typing"),
      offline: document.getElementById("offline").hidden ? null : text("offline"),
      last: [...document.querySelectorAll("#messages li")].slice(-6).map((li) => li.textContent),
    };
  });
}

/** A small PNG: a picture of part of the user's page. */
async function pngOf(user, clip) {
  return user.page.screenshot({ clip, type: "png" });
}

const pngWidth = (png) => png.readUInt32BE(16);

/** Sends a file through the page's attach button (the file input behind it). */
async function attach(user, name, mimeType, buffer) {
  await user.page.setInputFiles("#file-input", { name, mimeType, buffer });
}

/** Waits for a file on the page and returns what the user gets: the bytes' hash, and more. */
async function fileShown(user, name) {
  const sel = `#messages li.message.file:has(.attachment a[download="${name}"])`;
  await step(`${user.name}: wait for the file ${name} on the page`, () => user.page.locator(sel).first().waitFor());
  const count = await user.page.locator(sel).count();
  const li = user.page.locator(sel).first();
  const info = await li.evaluate(async (node) => {
    const a = node.querySelector(".attachment a");
    const img = node.querySelector(".attachment img");
    if (img && !img.complete) await new Promise((resolve) => img.addEventListener("load", resolve, { once: true }));
    const bytes = await (await fetch(a.href)).arrayBuffer();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return {
      from: node.dataset.from,
      image: img !== null,
      naturalWidth: img ? img.naturalWidth : null,
      href: a.href.slice(0, 5),
      caption: node.querySelector(".file-size").textContent,
      pageHash: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    };
  });
  return { ...info, count, locator: li };
}

/** Clicks the download link of a file and returns the hash of what the browser saved. */
async function download(user, locator, name) {
  const [dl] = await step(`${user.name}: download ${name}`, () =>
    Promise.all([user.page.waitForEvent("download"), locator.locator(".attachment a").click()]));
  check(dl.suggestedFilename() === name, `${user.name}: the download is called ${dl.suggestedFilename()}`);
  return sha256(readFileSync(await dl.path()));
}

/** The `file` events of one way on a page's wire, with the hash of their binary attachment. */
async function wireFiles(user, dir) {
  return (await user.wire.events(dir, "file")).map((e) => ({
    name: e.args[0].name,
    from: e.args[0].from ?? null,
    type: e.args[0].type,
    packet: e.type,
    attachments: e.binaries.length,
    transport: e.binaries[0]?.transport ?? null,
    hash: Buffer.isBuffer(e.args[0].data) ? sha256(e.args[0].data) : null,
    id: e.id,
  }));
}

/**
 * One file from `sender` to `receiver`: what the receiver sees and gets, what left the
 * sender's page and what reached the receiver's, all compared with the original's hash.
 */
async function sendFile(sender, receiver, name, type, bytes) {
  const original = sha256(bytes);
  await attach(sender, name, type, bytes);
  const got = await fileShown(receiver, name);
  const own = await fileShown(sender, name);
  const saved = got.image ? got.pageHash : await download(receiver, got.locator, name);
  const out = (await wireFiles(sender, "out")).filter((f) => f.name === name);
  const inn = (await wireFiles(receiver, "in")).filter((f) => f.name === name);
  const acks = (await sender.wire.sio("in")).filter((p) => p.type === "ACK" && out.some((o) => o.id === p.id && o.id !== null));
  const report = {
    ev: "file", from: sender.name, to: receiver.name, name, type, size: bytes.length,
    original, shown: got.pageHash, saved, image: got.image, naturalWidth: got.naturalWidth,
    shownTimes: got.count, senderSees: own.pageHash,
    wireOut: out.map((f) => f.hash), wireOutTransport: out.map((f) => f.transport), wireOutPacket: out.map((f) => f.packet),
    wireIn: inn.map((f) => f.hash), wireInTransport: inn.map((f) => f.transport), wireInFrom: inn.map((f) => f.from),
    acked: acks.map((a) => a.data?.[0]?.ok === true),
  };
  emit(report);
  check(got.count === 1, `${receiver.name} shows ${name} ${got.count} times`);
  check(got.from === sender.nick, `${receiver.name} shows ${name} from ${got.from}`);
  check(got.pageHash === original && saved === original && own.pageHash === original,
    `${name}: the bytes on the pages differ from the original`, report);
  check(out.length === 1 && out[0].hash === original && out[0].packet === "BINARY_EVENT" && out[0].attachments === 1,
    `${name}: what left ${sender.name}'s page`, report);
  check(inn.length === 1 && inn[0].hash === original && inn[0].from === sender.nick,
    `${name}: what reached ${receiver.name}'s page`, report);
  check(acks.length === 1 && report.acked[0], `${name}: the server's ack`, report);
  if (type.startsWith("image/")) {
    check(got.image && got.naturalWidth === pngWidth(bytes), `${receiver.name}: ${name} is not shown as an image`, report);
  } else {
    check(!got.image && got.caption.includes("kB"), `${receiver.name}: ${name} is not a download link with its size`, report);
  }
  return report;
}

function noPageErrors() {
  for (const user of users) check(user.errors.length === 0, `${user.name}: errors in the page`, user.errors);
}

// ---- scenarios ---------------------------------------------------------------------------

/** Two pages chat in #rust; a third, in #ops, sees none of it. */
async function rooms() {
  const [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => newUser(n)));
  await Promise.all([alice, bob, carol].map(open));
  // One after the other, so that the notices (and the README's picture) are always the same.
  for (const user of [alice, bob, carol]) await nickname(user, user.name);
  await join(alice, "rust");
  await join(bob, "rust");
  await join(carol, "ops");
  emit({ ev: "members", page: "alice", room: "rust", ...(await waitMembers(alice, ["alice", "bob"])) });
  emit({ ev: "members", page: "bob", room: "rust", ...(await waitMembers(bob, ["alice", "bob"])) });
  emit({ ev: "members", page: "carol", room: "ops", ...(await waitMembers(carol, ["carol"])) });

  // The README's picture: alice's page with one message and bob typing.
  await Promise.all([waitTransport(alice, "websocket"), waitTransport(bob, "websocket")]);
  const hello = "Hi bob! This page talks to the Rust server through socket.io-client.";
  await say(alice, hello);
  await waitShown(bob, [hello]);
  await bob.page.locator("#composer-input").pressSequentially("Hey alice", { delay: 15 });
  await until(alice, "wait for \"bob is typing…\"", () => document.getElementById("typing").textContent === "bob is typing…");
  const m = await members(alice);
  check(m.typing.includes("bob"), "alice: the member list does not show bob typing", m);
  emit({ ev: "typing", page: "alice", indicator: await typingText(alice), membersTyping: m.typing });
  if (args.screenshot) await readmeScreenshot(alice, args.screenshot);
  await bob.page.fill("#composer-input", "");
  await until(alice, "wait for the typing indicator to go away", () => document.getElementById("typing").textContent === "");

  // Both ways, interleaved; carol talks in #ops meanwhile.
  const fromAlice = [1, 2, 3].map((i) => `${RUN} alice to bob #${i} <b>not bold</b>`);
  const fromBob = [1, 2, 3].map((i) => `${RUN} bob to alice #${i} & co`);
  const fromCarol = `${RUN} carol in ops`;
  for (let i = 0; i < 3; i++) {
    await say(alice, fromAlice[i]);
    await say(bob, fromBob[i]);
  }
  await say(carol, fromCarol);
  const rust = [hello, ...fromAlice, ...fromBob];
  const from = new Map([[hello, "alice"], ...fromAlice.map((t) => [t, "alice"]), ...fromBob.map((t) => [t, "bob"]), [fromCarol, "carol"]]);
  await waitShown(alice, rust);
  await waitShown(bob, rust);
  await waitShown(carol, [fromCarol]);
  await checkPage(alice, rust, from);
  await checkPage(bob, rust, from);
  await checkPage(carol, [fromCarol], from);
  const markup = await alice.page.locator("#messages li.message .text b").count();
  check(markup === 0, "alice: a message was rendered as markup");
  // carol's other room shows none of it either, and #rust is not among her rooms.
  await switchRoom(carol, "general");
  await checkPage(carol, [], from);
  const carolRooms = (await snapshot(carol)).rooms;
  check(JSON.stringify(carolRooms) === JSON.stringify(["general", "ops"]), "carol's rooms", carolRooms);
  await switchRoom(alice, "general");
  await checkPage(alice, [], from);

  // The wire: each message left its sender once (acknowledged) and reached each member of
  // #rust once; nothing of #rust reached carol (no message, member list or typing notice).
  await checkWireOut(alice, [hello, ...fromAlice]);
  await checkWireOut(bob, fromBob);
  await checkWireOut(carol, [fromCarol]);
  await checkWireIn(alice, rust, from, { room: "rust" });
  await checkWireIn(bob, rust, from, { room: "rust" });
  await checkWireIn(carol, [fromCarol], from, { room: "ops" });
  const leaked = (await carol.wire.sio("in")).filter((p) => p.name && JSON.stringify(p.args ?? []).includes('"room":"rust"'));
  emit({ ev: "isolation", page: "carol", rustEvents: leaked.length, rooms: carolRooms });
  check(leaked.length === 0, "carol received events of #rust", leaked.map((p) => p.name));
  noPageErrors();
}

/** Writes the README's picture: alice's page, times pinned so that the image stays the same. */
async function readmeScreenshot(user, path) {
  // The only part that changes from run to run is the clock of the message.
  await user.page.evaluate(() => {
    for (const t of document.querySelectorAll("#messages time")) t.textContent = "09:41 AM";
    document.activeElement?.blur();
  });
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, await user.page.screenshot({ type: "png" }));
  renameSync(tmp, path);
  emit({ ev: "screenshot", page: user.name, path });
}

/** alice starts on long-polling and is upgraded to WebSocket in the middle of a burst. */
async function upgrade() {
  const bob = await newUser("bob");
  await open(bob);
  await nickname(bob, "bob");
  await waitTransport(bob, "websocket");

  // alice's WebSocket goes through a route that forwards every frame, but holds her "2probe"
  // until she has sent a few messages on long-polling, then holds what she sends from "5"
  // (upgrade) on until a few more messages are queued behind it: the burst crosses every phase.
  // (Holding the probe on the page's side keeps the server polling normally meanwhile.)
  const AHEAD = 3;
  const QUEUED = 4;
  const gate = { pollingSent: 0, queued: 0, probeHeld: null, queue: null, times: {} };
  const alice = await newUser("alice", {
    setup: async (user) => {
      user.wire.onOutgoingEvent = ({ name, transport }) => {
        if (name === "message" && transport === "polling" && ++gate.pollingSent === AHEAD) releaseProbe();
      };
      await user.page.routeWebSocket(/\/socket\.io\//, (ws) => {
        const srv = ws.connectToServer();
        srv.onMessage((m) => ws.send(m));
        const flush = () => {
          if (!gate.queue) return;
          const queue = gate.queue;
          gate.queue = null;
          gate.times.queueReleased = user.wire.now();
          for (const m of queue) srv.send(m);
        };
        ws.onMessage((m) => {
          if (m === "2probe" && gate.times.probeHeld === undefined) {
            gate.times.probeHeld = user.wire.now();
            gate.probeHeld = () => srv.send(m);
            if (gate.pollingSent >= AHEAD) releaseProbe();
            else setTimeout(releaseProbe, 5000);
            return;
          }
          if (m === "5" && gate.times.upgradeQueued === undefined) {
            gate.times.upgradeQueued = user.wire.now();
            gate.queue = [m];
            setTimeout(flush, 2000);
            return;
          }
          if (gate.queue) {
            gate.queue.push(m);
            if (typeof m === "string" && /^42\d*\["message"/.test(m) && ++gate.queued === QUEUED) flush();
            return;
          }
          srv.send(m);
        });
      });
    },
  });
  function releaseProbe() {
    if (!gate.probeHeld) return;
    const forward = gate.probeHeld;
    gate.probeHeld = null;
    gate.times.probeReleased = alice.wire.now();
    forward();
  }

  await open(alice);
  const start = await snapshot(alice);
  emit({ ev: "connected", page: "alice", transport: start.transport });
  check(start.transport === "polling", "alice's page does not show long-polling before the upgrade", start);
  const aliceNick = start.nickname;
  alice.nick = aliceNick;

  const N = 20;
  const fromAlice = Array.from({ length: N }, (_, i) => `${RUN} burst alice ${i}`);
  const fromBob = Array.from({ length: N }, (_, i) => `${RUN} burst bob ${i}`);
  const burst = async (user, texts) => {
    for (const text of texts) {
      await say(user, text);
      await sleep(25);
    }
  };
  await Promise.all([burst(alice, fromAlice), burst(bob, fromBob)]);
  await waitTransport(alice, "websocket");
  const all = [...fromAlice, ...fromBob];
  const from = new Map([...fromAlice.map((t) => [t, aliceNick]), ...fromBob.map((t) => [t, "bob"])]);
  await waitShown(alice, all);
  await waitShown(bob, all);
  await checkPage(alice, all, from);
  await checkPage(bob, all, from);

  // The wire of alice: handshake on long-polling, then the probe and the upgrade on the WebSocket.
  const eio = await alice.wire.eio();
  const handshake = eio.find((p) => p.type === "open");
  check(handshake && handshake.transport === "polling", "alice's handshake is not on long-polling", handshake);
  const open_ = JSON.parse(handshake.text);
  check(open_.upgrades?.includes("websocket"), "the handshake offers no upgrade", open_);
  check(alice.wire.requests[0]?.method === "GET" && alice.wire.requests[0]?.sid === null, "alice's first request", alice.wire.requests[0]);
  check(alice.wire.sockets.length === 1 && alice.wire.sockets[0].sid === open_.sid,
    "alice's WebSocket (one, for the session of the handshake)", alice.wire.sockets);
  const ws = eio.filter((p) => p.transport === "websocket");
  const probe = ws.findIndex((p) => p.dir === "out" && p.type === "ping" && p.text === "probe");
  const pong = ws.findIndex((p) => p.dir === "in" && p.type === "pong" && p.text === "probe");
  const upgraded = ws.findIndex((p) => p.dir === "out" && p.type === "upgrade");
  check(probe === 0 && pong > probe && upgraded > pong, "the WebSocket frames are not 2probe, 3probe, 5 in order",
    ws.slice(0, 4).map((p) => `${p.dir} ${p.type} ${p.text ?? ""}`));
  const t5 = ws[upgraded].t;
  const pollsAfter = alice.wire.requests.filter((r) => r.t > t5).length;

  const out = await alice.wire.events("out", "message");
  const byTransport = (list) => ({
    polling: list.filter((e) => e.transport === "polling").length,
    websocket: list.filter((e) => e.transport === "websocket").length,
  });
  const inAlice = await alice.wire.events("in", "message");
  const report = {
    ev: "upgrade", page: "alice", sid: open_.sid, handshake: handshake.transport,
    frames: ["2probe", "3probe", "5"], times: gate.times,
    sent: byTransport(out), sentWhileUpgrading: gate.queued, received: byTransport(inAlice),
    pollingRequests: alice.wire.requests.length, pollingRequestsAfterUpgrade: pollsAfter, transportShown: (await snapshot(alice)).transport,
  };
  emit(report);
  check(report.sent.polling >= 1 && report.sent.websocket >= 1 && gate.queued >= 1,
    "the burst did not cross the upgrade (some messages on long-polling, some held during the upgrade, some on WebSocket)", report);
  check(pollsAfter === 0, "alice still polls after the upgrade", report);
  await checkWireOut(alice, fromAlice);
  await checkWireOut(bob, fromBob);
  await checkWireIn(alice, all, from);
  await checkWireIn(bob, all, from);
  noPageErrors();
}

/** pat's WebSockets are blocked: long-polling only, chatting (files too) with wes on WebSocket. */
async function polling() {
  const pat = await newUser("pat", {
    setup: async (user) => {
      user.blocked = 0;
      // Every WebSocket the page opens is closed at once; the page itself is unchanged.
      await user.page.routeWebSocket(/.*/, (ws) => {
        user.blocked += 1;
        ws.close();
      });
    },
  });
  const wes = await newUser("wes");
  await Promise.all([open(pat), open(wes)]);
  await nickname(pat, "pat");
  await nickname(wes, "wes");
  await join(pat, "mixed");
  await join(wes, "mixed");
  await waitTransport(wes, "websocket");
  await waitMembers(pat, ["pat", "wes"]);
  await waitMembers(wes, ["pat", "wes"]);

  const fromPat = [1, 2, 3].map((i) => `${RUN} pat on long-polling #${i}`);
  const fromWes = [1, 2, 3].map((i) => `${RUN} wes on WebSocket #${i}`);
  for (let i = 0; i < 3; i++) {
    await say(pat, fromPat[i]);
    await say(wes, fromWes[i]);
  }
  const all = [...fromPat, ...fromWes];
  const from = new Map([...fromPat.map((t) => [t, "pat"]), ...fromWes.map((t) => [t, "wes"])]);
  await waitShown(pat, all);
  await waitShown(wes, all);
  await checkPage(pat, all, from);
  await checkPage(wes, all, from);

  // Binary both ways: base64 in long-polling bodies on pat's side, binary frames on wes's.
  const notes = randomBytes(48 * 1000);
  const f1 = await sendFile(pat, wes, "notes.bin", "application/octet-stream", notes);
  const photo = await pngOf(wes, { x: 0, y: 0, width: 260, height: 120 });
  const f2 = await sendFile(wes, pat, "photo.png", "image/png", photo);
  check(f1.wireOutTransport[0] === "polling" && f1.wireInTransport[0] === "websocket", "notes.bin transports", f1);
  check(f2.wireOutTransport[0] === "websocket" && f2.wireInTransport[0] === "polling", "photo.png transports", f2);

  await checkWireOut(pat, fromPat);
  await checkWireOut(wes, fromWes);
  await checkWireIn(pat, all, from, { room: "mixed" });
  await checkWireIn(wes, all, from, { room: "mixed" });
  const sio = await pat.wire.sio();
  const report = {
    ev: "blocked", page: "pat", attempts: pat.blocked, websockets: pat.wire.sockets.length,
    transportShown: (await snapshot(pat)).transport, packets: sio.length,
    notPolling: sio.filter((p) => p.transport !== "polling").length,
    pollingRequests: pat.wire.requests.length,
    wes: (await snapshot(wes)).transport,
  };
  emit(report);
  check(report.attempts >= 1, "pat's page never tried a WebSocket", report);
  check(report.websockets === 0 && report.notPolling === 0 && report.transportShown === "polling",
    "pat did not stay on long-polling", report);
  check(report.wes === "websocket", "wes is not on WebSocket", report);
  noPageErrors();
}

/** An image and a binary file, one each way, arrive byte-identical. */
async function file() {
  const [alice, bob] = await Promise.all(["alice", "bob"].map((n) => newUser(n)));
  await Promise.all([alice, bob].map(open));
  for (const user of [alice, bob]) await nickname(user, user.name);
  await join(alice, "files");
  await join(bob, "files");
  await Promise.all([waitTransport(alice, "websocket"), waitTransport(bob, "websocket")]);
  await waitMembers(alice, ["alice", "bob"]);
  const picture = await pngOf(alice, { x: 0, y: 0, width: 420, height: 260 });
  const image = await sendFile(alice, bob, "diagram.png", "image/png", picture);
  check(image.wireOutTransport[0] === "websocket" && image.wireInTransport[0] === "websocket", "diagram.png transports", image);
  const bytes = randomBytes(256 * 1000);
  const binary = await sendFile(bob, alice, "random.bin", "application/octet-stream", bytes);
  check(binary.wireOutTransport[0] === "websocket" && binary.wireInTransport[0] === "websocket", "random.bin transports", binary);
  // Each side shows each file once (its own included).
  for (const user of [alice, bob]) {
    const files = (await shown(user)).filter((m) => m.kind === "file").map((m) => m.name);
    delivery("page-files", user.name, files, ["diagram.png", "random.bin"]);
  }
  noPageErrors();
}

/** The server stops and starts again: offline, reconnection, nickname and rooms back. */
async function restart() {
  const [alice, bob] = await Promise.all(["alice", "bob"].map((n) => newUser(n)));
  await Promise.all([alice, bob].map(open));
  for (const user of [alice, bob]) await nickname(user, user.name);
  await join(alice, "rust");
  await join(bob, "rust");
  await Promise.all([waitTransport(alice, "websocket"), waitTransport(bob, "websocket")]);
  await waitMembers(alice, ["alice", "bob"]);
  await waitMembers(bob, ["alice", "bob"]);
  const before = [`${RUN} before the restart, alice`, `${RUN} before the restart, bob`];
  await say(alice, before[0]);
  await say(bob, before[1]);
  await waitShown(alice, before);
  await waitShown(bob, before);
  const firstSids = new Set(users.map((u) => u.wire.sockets[0]?.sid));

  // bob is typing when the server goes away.
  await bob.page.locator("#composer-input").pressSequentially("still th", { delay: 15 });
  await until(alice, "wait for \"bob is typing…\"", () => document.getElementById("typing").textContent === "bob is typing…");

  await server("stop");
  for (const user of [alice, bob]) {
    await until(user, "wait to show it is offline and retrying", () =>
      document.getElementById("conn").dataset.state === "reconnecting" &&
      !document.getElementById("offline").hidden &&
      /attempt \d+/.test(document.getElementById("conn-state").textContent));
    const s = await snapshot(user);
    const report = {
      ev: "offline", page: user.name, state: s.state, stateText: s.stateText, banner: s.offline,
      transport: s.transport, typing: s.typing,
      composerDisabled: await user.page.locator("#composer-input").isDisabled(),
      membersStale: (await members(user)).stale,
      websocketClosed: user.wire.sockets.every((w) => w.closedAt !== null),
    };
    emit(report);
    check(report.composerDisabled && report.membersStale && report.websocketClosed && report.typing === "" && report.transport === "",
      `${user.name} does not show it is offline`, report);
  }

  await server("start");
  for (const user of [alice, bob]) {
    await waitConnected(user);
    await until(user, "wait to be called by its nickname again and back in #rust", (n) =>
      document.getElementById("me").textContent === n &&
      document.querySelector('#room-list li[data-room="rust"]') !== null &&
      document.getElementById("room-name").textContent === "rust", user.name);
  }
  const recovered = [];
  for (const user of [alice, bob]) {
    const m = await waitMembers(user, ["alice", "bob"]);
    await waitTransport(user, "websocket");
    // The wire: on the new session the page asked for its nickname and rejoined #rust.
    const out = (await user.wire.sio("out")).filter((p) => p.name && !firstSids.has(p.sid));
    const nick = out.filter((p) => p.name === "set nickname").map((p) => p.args[0]);
    const rejoined = out.filter((p) => p.name === "join").map((p) => p.args[0]);
    const report = {
      ev: "recovered", page: user.name, ...(await snapshot(user)), membersShown: m.names,
      nicknameSent: nick, joinSent: rejoined, sessions: new Set(user.wire.packets.map((p) => p.sid).filter(Boolean)).size,
    };
    delete report.last;
    emit(report);
    check(JSON.stringify(nick) === JSON.stringify([user.name]) && JSON.stringify(rejoined) === JSON.stringify(["rust"]),
      `${user.name} did not send its nickname and rejoin #rust once on the new session`, report);
    recovered.push(report);
  }

  // Typing and chatting go on.
  await bob.page.fill("#composer-input", "");
  await alice.page.locator("#composer-input").pressSequentially("back", { delay: 15 });
  await until(bob, "wait for \"alice is typing…\" after the restart", () => document.getElementById("typing").textContent === "alice is typing…");
  const bobSees = await members(bob);
  emit({ ev: "typing", page: "bob", indicator: await typingText(bob), membersTyping: bobSees.typing });
  check(bobSees.typing.includes("alice"), "bob's member list does not show alice typing", bobSees);
  const after = [`${RUN} after the restart, alice`, `${RUN} after the restart, bob`];
  await say(alice, after[0]);
  await say(bob, after[1]);
  const from = new Map([[before[0], "alice"], [before[1], "bob"], [after[0], "alice"], [after[1], "bob"]]);
  await waitShown(alice, after);
  await waitShown(bob, after);
  await until(bob, "wait for the typing indicator to go away", () => document.getElementById("typing").textContent === "");
  await checkPage(alice, [...before, ...after], from);
  await checkPage(bob, [...before, ...after], from);
  await checkWireIn(alice, [...before, ...after], from, { room: "rust" });
  await checkWireIn(bob, [...before, ...after], from, { room: "rust" });
  await checkWireOut(alice, [before[0], after[0]]);
  await checkWireOut(bob, [before[1], after[1]]);
  await rewired(alice, bob, firstSids);
  noPageErrors();
}

/**
 * The restart on the wire: on the new Engine.IO session (a sid not in `firstSids`), alice's
 * `typing` left her page and reached bob's, and each page received the `members` of #rust
 * again. Reports one `rewire` line per page.
 */
async function rewired(alice, bob, firstSids) {
  const after = async (user, dir, name) =>
    (await user.wire.events(dir, name)).filter((e) => !firstSids.has(e.sid)).map((e) => e.args[0]);
  const report = async (user) => {
    const members = await after(user, "in", "members");
    const lastOf = (room) => members.filter((m) => m.room === room).at(-1)?.members ?? null;
    return {
      ev: "rewire", page: user.name,
      typingOut: await after(user, "out", "typing"), typingIn: await after(user, "in", "typing"),
      membersIn: members.length, members: { rust: lastOf("rust"), general: lastOf("general") },
    };
  };
  // Frames reach the recording a moment after the page has acted on them.
  const deadline = Date.now() + STEP_MS;
  let reports;
  for (;;) {
    reports = [await report(alice), await report(bob)];
    const [a, b] = reports;
    const done = a.typingOut.some((t) => t.room === "rust" && t.typing === true) &&
      b.typingIn.some((t) => t.room === "rust" && t.from === "alice" && t.typing === true) &&
      reports.every((r) => JSON.stringify(r.members.rust) === JSON.stringify(["alice", "bob"]));
    if (done || Date.now() > deadline) break;
    await sleep(100);
  }
  reports.forEach((r) => emit(r));
  check(reports[0].typingOut.length > 0 && reports[1].typingIn.length > 0,
    "typing did not travel on the new session", reports);
  check(reports.every((r) => r.membersIn > 0), "no members event on the new session", reports);
}

/** 20 pages in one browser: every message reaches every page exactly once. */
async function crowd() {
  const COUNT = 20;
  const ROUNDS = 2;
  const context = await browser.newContext({ ...CONTEXT, viewport: { width: 900, height: 600 } });
  const names = Array.from({ length: COUNT }, (_, i) => `user${String(i + 1).padStart(2, "0")}`);
  const crowd = [];
  for (const name of names) crowd.push(await newUser(name, { context }));
  await Promise.all(crowd.map(open));
  await Promise.all(crowd.map((user) => nickname(user, user.name)));
  await Promise.all(crowd.map((user) => waitMembers(user, names)));
  emit({ ev: "members", pages: COUNT, room: "general", count: COUNT });

  const texts = [];
  const from = new Map();
  for (let round = 1; round <= ROUNDS; round++) {
    const batch = crowd.map((user) => `${RUN} ${user.name} round ${round}`);
    batch.forEach((t, i) => from.set(t, crowd[i].name));
    texts.push(...batch);
    // Every page sends at the same time.
    await Promise.all(crowd.map((user, i) => say(user, batch[i])));
  }
  await Promise.all(crowd.map((user) => waitShown(user, texts)));
  let once = 0;
  for (const user of crowd) {
    once += (await checkPage(user, texts, from)).once;
    await checkWireIn(user, texts, from, { room: "general" });
    await checkWireOut(user, texts.filter((t) => from.get(t) === user.name));
  }
  emit({ ev: "crowd", pages: COUNT, messages: texts.length, deliveredOnce: once, expected: COUNT * texts.length });
  check(once === COUNT * texts.length, "not every message reached every page once");
  noPageErrors();
}

// ---- main ----------------------------------------------------------------------------------

control.start();
const started = Date.now();
let failed = null;
try {
  browser = await chromium.launch({
    executablePath: args.chromium,
    headless: !args.headed,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  }).catch((err) => {
    throw new Failure(`cannot start Chromium at ${args.chromium} (scripts/browser installs it): ${firstLine(err)}`);
  });
  emit({ ev: "scenario", scenario: SCENARIO, url: URL_, browser: browser.version(), run: RUN });
  await SCENARIOS[SCENARIO]();
} catch (err) {
  failed = err instanceof Failure ? err.message : `unexpected error: ${err?.stack ?? err}`;
  for (const user of users) {
    const s = await snapshot(user).catch(() => null);
    if (s) emit({ ev: "state", page: user.name, ...s });
    if (args.artifacts) {
      mkdirSync(args.artifacts, { recursive: true });
      const path = joinPath(args.artifacts, `${SCENARIO}-${user.name}.png`);
      await user.page.screenshot({ path }).then(() => emit({ ev: "artifact", page: user.name, path }), () => {});
    }
  }
}
await browser?.close().catch(() => {});
const ms = Date.now() - started;
if (failed) {
  log(`${SCENARIO}: FAILED: ${failed}`);
  emit({ ev: "fail", scenario: SCENARIO, message: failed, ms });
} else {
  emit({ ev: "pass", scenario: SCENARIO, ms });
}
process.exit(failed ? 1 : 0);
