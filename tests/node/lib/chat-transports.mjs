// Scenarios of the chat browser tests (chat-browser.mjs) about transports and binary data:
// `upgrade` (long-polling upgraded to WebSocket in the middle of a burst), `polling` (a page
// whose WebSockets are blocked) and `file` (an image and a binary file, each way), with the
// helpers that send a file through a page and check its bytes everywhere.
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

import { emit } from "./lines.mjs";
import { sha256 } from "../chat-wire.mjs";
import {
  RUN, check, step, sleep, newUser, until, open, nickname, join, say, shown, waitShown, waitTransport,
  waitMembers, delivery, checkPage, checkWireIn, checkWireOut, snapshot, noPageErrors,
} from "./chat-pages.mjs";

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

/** alice starts on long-polling and is upgraded to WebSocket in the middle of a burst. */
export async function upgrade() {
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
export async function polling() {
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
export async function file() {
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
