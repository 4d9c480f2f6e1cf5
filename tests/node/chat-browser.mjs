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
// The pages' steps live in lib/chat-pages.mjs, the transport scenarios (upgrade, polling,
// file) in lib/chat-transports.mjs.
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
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join as joinPath } from "node:path";
import { parseArgs } from "node:util";

import { emit, log } from "./lib/lines.mjs";
import {
  config, users, RUN, Failure, check, firstLine, sleep, server, newUser, until, open, waitConnected,
  waitTransport, nickname, join, switchRoom, say, waitShown, checkPage, checkWireIn, checkWireOut,
  members, waitMembers, typingText, snapshot, noPageErrors, control, CONTEXT,
} from "./lib/chat-pages.mjs";
import { upgrade, polling, file } from "./lib/chat-transports.mjs";

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
config.url = URL_;
config.stepMs = STEP_MS;

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
  const deadline = Date.now() + config.stepMs;
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
  const context = await config.browser.newContext({ ...CONTEXT, viewport: { width: 900, height: 600 } });
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
  config.browser = await chromium.launch({
    executablePath: args.chromium,
    headless: !args.headed,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  }).catch((err) => {
    throw new Failure(`cannot start Chromium at ${args.chromium} (scripts/browser installs it): ${firstLine(err)}`);
  });
  emit({ ev: "scenario", scenario: SCENARIO, url: URL_, browser: config.browser.version(), run: RUN });
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
await config.browser?.close().catch(() => {});
const ms = Date.now() - started;
if (failed) {
  log(`${SCENARIO}: FAILED: ${failed}`);
  emit({ ev: "fail", scenario: SCENARIO, message: failed, ms });
} else {
  emit({ ev: "pass", scenario: SCENARIO, ms });
}
process.exit(failed ? 1 : 0);
