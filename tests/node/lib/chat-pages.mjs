// The pages of the chat browser tests (chat-browser.mjs): steps that fail readably, the
// controller on stdin (the Rust test) that stops and starts the server, and what a user does
// on the chat page and what the tests read back from it and from its wire (chat-wire.mjs).
//
// The script sets `config` (url, stepMs, browser) before any scenario runs.
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";

import { emit, log } from "./lines.mjs";
import { Wire } from "../chat-wire.mjs";

/** The run's settings: the chat's URL (ending in /), the time allowed per step, the browser. */
export const config = { url: null, stepMs: 15000, browser: null };

// Unique per run, in every text sent, so that nothing is confused with anything else.
export const RUN = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;

export class Failure extends Error {}

export function check(condition, message, details) {
  if (!condition) throw new Failure(details === undefined ? message : `${message}: ${JSON.stringify(details)}`);
}

export const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/** Runs a step; a Playwright time-out or error becomes a readable failure. */
export async function step(what, fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Failure) throw err;
    throw new Failure(`${what}: ${firstLine(err)}`);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the controller (the Rust test), on stdin ------------------------------------------------

export const control = {
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
export async function server(action) {
  emit({ ev: "server", action });
  await control.expect(action === "stop" ? "stopped" : "started", 30000);
  emit({ ev: "serverDone", action });
}

// ---- pages -------------------------------------------------------------------------------

export const CONTEXT = {
  viewport: { width: 1100, height: 640 },
  deviceScaleFactor: 1,
  locale: "en-US",
  timezoneId: "UTC",
  colorScheme: "light",
  acceptDownloads: true,
};

/** Every user of the run, for the diagnostics of a failure. */
export const users = [];

/** A user: a page (in its own context unless one is given) and the recording of its wire. */
export async function newUser(name, { context, setup } = {}) {
  const ctx = context ?? (await config.browser.newContext(CONTEXT));
  const page = await ctx.newPage();
  page.setDefaultTimeout(config.stepMs);
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

export const until = (user, what, fn, arg) =>
  step(`${user.name}: ${what}`, () => user.page.waitForFunction(fn, arg, { polling: 50 }));

/** Opens the chat and waits for the welcome (connected, a guest nickname, forms enabled). */
export async function open(user) {
  await step(`${user.name}: open ${config.url}`, () => user.page.goto(config.url, { waitUntil: "load" }));
  await waitConnected(user);
}

export async function waitConnected(user) {
  await until(user, "wait for the connection and the welcome", () =>
    document.getElementById("conn").dataset.state === "connected" &&
    document.getElementById("me").textContent !== "…" &&
    !document.getElementById("nick-input").disabled);
}

export async function waitTransport(user, transport) {
  await until(user, `wait for the transport ${transport} on the page`, (t) =>
    document.getElementById("conn").dataset.state === "connected" &&
    document.getElementById("conn-transport").textContent === t, transport);
}

export async function nickname(user, nick) {
  await user.page.fill("#nick-input", nick);
  await user.page.press("#nick-input", "Enter");
  await until(user, `wait to be called ${nick}`, (n) => document.getElementById("me").textContent === n, nick);
  user.nick = nick;
}

export async function join(user, room) {
  await user.page.fill("#join-input", room);
  await user.page.press("#join-input", "Enter");
  await until(user, `wait to be in #${room}`, (r) =>
    document.getElementById("room-name").textContent === r &&
    document.querySelector(`#room-list li.active[data-room="${r}"]`) !== null, room);
}

export async function switchRoom(user, room) {
  await user.page.click(`#room-list li[data-room="${room}"] .room-btn`);
  await until(user, `wait to show #${room}`, (r) => document.getElementById("room-name").textContent === r, room);
}

/** Types a message in the composer and sends it with Enter, as a user would. */
export async function say(user, text) {
  await user.page.fill("#composer-input", text);
  await user.page.press("#composer-input", "Enter");
}

/** The messages of the room on screen: { kind, from, text, mine, name }. */
export function shown(user) {
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
export async function waitShown(user, texts) {
  await until(user, `wait for ${texts.length} message(s) on the page`, (want) => {
    const have = new Set([...document.querySelectorAll("#messages li.message .text")].map((n) => n.textContent));
    return want.every((t) => have.has(t));
  }, texts);
}

/** Each expected text exactly once, nothing foreign: the summary the Rust test asserts. */
export function delivery(where, page, items, expected, allowed = []) {
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
export async function checkPage(user, expected, from, { allowed = [] } = {}) {
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
export async function checkWireIn(user, expected, from, { allowed = [], room } = {}) {
  const events = await user.wire.events("in", "message");
  for (const e of events) {
    const m = e.args[0];
    if (from.has(m.text)) check(m.from === from.get(m.text), `${user.name} received ${m.text} from ${m.from}`);
    if (room && expected.includes(m.text)) check(m.room === room, `${user.name} received ${m.text} for #${m.room}`);
  }
  return delivery("wire-in", user.name, events.map((e) => e.args[0].text), expected, allowed);
}

/** What the page sent on the wire: its `message` events, each once, each acknowledged ok. */
export async function checkWireOut(user, expected, { allowed = [] } = {}) {
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

export async function members(user) {
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

export async function waitMembers(user, names) {
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

export async function typingText(user) {
  return user.page.locator("#typing").textContent();
}

/** A snapshot of a page for diagnostics. */
export async function snapshot(user) {
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


export function noPageErrors() {
  for (const user of users) check(user.errors.length === 0, `${user.name}: errors in the page`, user.errors);
}
