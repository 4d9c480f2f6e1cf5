// A Node `socket.io` server in a Redis cluster, for the mixed-cluster tests of the Rust Redis
// adapter (tests/tests/redis_*.rs).
//
//   node redis-node-server.mjs --port 0 --redis-url redis://127.0.0.1:6379 --mode classic|sharded
//        [--key socket.io] [--subscription-mode dynamic|static|dynamic-private]
//        [--requests-timeout 5000] [--specific-response-channel] [--parser msgpack]
//
// The adapter is @socket.io/redis-adapter (createAdapter in classic mode, createShardedAdapter in
// sharded mode, with `key` as its channelPrefix) on node-redis clients. Namespace "/", per socket:
//   "join" [rooms] / "leave" [rooms] / "set-data" [data]: done, then acked with "done"
//   any other event: reported as {"ev":"event","id","event","args"}
// Server-side events (io.on): "hello" is reported as {"ev":"serverEvent","event","args"} and
// answered (when the emitter waits) with {"from":"node","args":[...]}; "silent" is only reported;
// "slow" [ms] is answered with {"from":"node"} after ms milliseconds.
// stdout (JSON lines only): {"ev":"listening","port":N}, {"ev":"connection","id"},
// {"ev":"disconnect","id","reason"}, the events above, and for each command below
// {"ev":"result","id":<command id>, ...} before its {"ev":"ok"}.
//
// Commands; `to` and `except` are lists of rooms selecting the sockets (io.to().except()):
//   emit {to,except,event,args,volatile}       io...emit(event, ...args)
//   emitWithAck {to,except,event,args,timeout} -> {err, responses}  (io.timeout(t)...emit(.., cb))
//   fetchSockets {to,except}                   -> {sockets:[{id,rooms,data,handshake}]} or {err}
//   socketsJoin / socketsLeave {to,except,rooms}, disconnectSockets {to,except,close}
//   serverSideEmit {event,args,ack}            -> with ack: {err, responses}
//   serverCount -> {count};  allRooms -> {rooms} or {err}  (classic only)
//   adapterSockets {rooms}                     -> {ids}  (io.of("/").adapter.sockets(new Set(rooms)))
//   watch {pattern}: PSUBSCRIBE on a connection of its own; each message is then reported as
//     {"ev":"redis","channel","message"} (the text, or {"$bin"} when it is not JSON)
//   publish {channel,message}                  PUBLISH of the text `message` as it is
//   emitter* (classic only, @socket.io/redis-emitter): emitterEmit {to,except,event,args},
//     emitterJoin / emitterLeave {to,except,rooms}, emitterDisconnect {to,except,close},
//     emitterServerSideEmit {event,args}
//   exit
// Binary values anywhere in args travel as {"$bin":"<base64>"}, both ways.
import http from "node:http";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";
import { createClient } from "redis";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";
import { emit, log, binaryToBase64, serve } from "./lib/lines.mjs";

const argv = process.argv.slice(2);
function option(name, fallback) {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}
const mode = option("--mode", "classic");
const key = option("--key", "socket.io");
const url = option("--redis-url", "redis://127.0.0.1:6379");
const requestsTimeout = Number(option("--requests-timeout", "5000"));
const subscriptionMode = option("--subscription-mode", "dynamic");
const publishOnSpecificResponseChannel = argv.includes("--specific-response-channel");
const parsers = { default: undefined, msgpack: msgpackParser };
const parserName = option("--parser", "default");
if (!(parserName in parsers)) throw new Error(`unknown parser ${JSON.stringify(parserName)}`);

function encodeValue(value) {
  const b64 = binaryToBase64(value);
  if (b64 !== null) return { $bin: b64 };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value !== null && typeof value === "object") {
    if (typeof value.toJSON === "function" && !(value instanceof Date)) return encodeValue(value.toJSON());
    if (value instanceof Date) return value.toISOString();
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeValue(v)]));
  }
  return value === undefined ? null : value;
}

function decodeValue(value) {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$bin") return Buffer.from(value.$bin, "base64");
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(v)]));
  }
  return value;
}

const redisError = (which) => (err) => log(`redis ${which} client error:`, err?.message ?? err);
const pub = createClient({ url });
const sub = pub.duplicate();
pub.on("error", redisError("pub"));
sub.on("error", redisError("sub"));
await Promise.all([pub.connect(), sub.connect()]);

const adapter =
  mode === "sharded"
    ? createShardedAdapter(pub, sub, { channelPrefix: key, subscriptionMode })
    : createAdapter(pub, sub, { key, requestsTimeout, publishOnSpecificResponseChannel });
const httpServer = http.createServer();
const io = new Server(httpServer, {
  adapter,
  pingInterval: 300,
  pingTimeout: 1000,
  cors: { origin: "*" },
  ...(parsers[parserName] ? { parser: parsers[parserName] } : {}),
});

io.on("connection", (socket) => {
  emit({ ev: "connection", id: socket.id });
  socket.on("disconnect", (reason) => emit({ ev: "disconnect", id: socket.id, reason }));
  socket.onAny((event, ...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : () => {};
    if (event === "join") socket.join(args[0]);
    else if (event === "leave") [].concat(args[0]).forEach((room) => socket.leave(room));
    else if (event === "set-data") socket.data = args[0];
    else return emit({ ev: "event", id: socket.id, event, args: encodeValue(args) });
    ack("done");
  });
});

io.on("hello", (...args) => {
  const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
  emit({ ev: "serverEvent", event: "hello", args: encodeValue(args) });
  if (ack) ack({ from: "node", args });
});
io.on("silent", (...args) => {
  if (typeof args[args.length - 1] === "function") args.pop();
  emit({ ev: "serverEvent", event: "silent", args: encodeValue(args) });
});
io.on("slow", (ms, ack) => setTimeout(() => ack?.({ from: "node" }), ms));

const watchers = [];
async function watch(pattern) {
  const watcher = pub.duplicate();
  watcher.on("error", redisError("watch"));
  await watcher.connect();
  watchers.push(watcher);
  const report = (message, channel) => {
    const text = message[0] === 0x7b ? message.toString() : { $bin: message.toString("base64") };
    emit({ ev: "redis", channel: channel.toString(), message: text });
  };
  await watcher.pSubscribe(pattern, report, true);
}

let emitter = null;
function emitterFor(cmd) {
  if (mode !== "classic") throw new Error("the Node emitter speaks the classic protocol only");
  emitter ??= new Emitter(pub, { key });
  return select(emitter, cmd);
}

/** `target.to(rooms).except(rooms)`, skipping empty lists. */
function select(target, cmd) {
  let op = target;
  if (cmd.to?.length) op = op.to(cmd.to);
  if (cmd.except?.length) op = op.except(cmd.except);
  return op;
}

const result = (cmd, fields) => emit({ ev: "result", id: cmd.id ?? null, ...fields });
const serialize = (s) => ({ id: s.id, rooms: [...s.rooms], data: encodeValue(s.data), handshake: encodeValue(s.handshake) });

/** Runs `fn(callback)` and waits for the error-first callback it hands out. */
const withCallback = (fn) =>
  new Promise((resolve) => fn((err, responses) => resolve({ err: err ? String(err.message ?? err) : null, responses: encodeValue(responses ?? []) })));

async function handle(cmd) {
  const args = decodeValue(cmd.args ?? []);
  switch (cmd.cmd) {
    case "emit": {
      let op = select(io, cmd);
      if (cmd.volatile) op = op.volatile;
      op.emit(cmd.event, ...args);
      return result(cmd, {});
    }
    case "emitWithAck": {
      const op = select(io.timeout(cmd.timeout ?? 2000), cmd);
      return result(cmd, await withCallback((cb) => op.emit(cmd.event, ...args, cb)));
    }
    case "fetchSockets":
      try {
        const sockets = await select(io, cmd).fetchSockets();
        return result(cmd, { sockets: sockets.map(serialize) });
      } catch (err) {
        return result(cmd, { err: String(err?.message ?? err) });
      }
    case "socketsJoin":
      select(io, cmd).socketsJoin(cmd.rooms);
      return result(cmd, {});
    case "socketsLeave":
      select(io, cmd).socketsLeave(cmd.rooms);
      return result(cmd, {});
    case "disconnectSockets":
      select(io, cmd).disconnectSockets(Boolean(cmd.close));
      return result(cmd, {});
    case "serverSideEmit":
      if (!cmd.ack) {
        io.serverSideEmit(cmd.event, ...args);
        return result(cmd, {});
      }
      return result(cmd, await withCallback((cb) => io.serverSideEmit(cmd.event, ...args, cb)));
    case "serverCount":
      return result(cmd, { count: await io.of("/").adapter.serverCount() });
    case "allRooms":
      try {
        return result(cmd, { rooms: [...(await io.of("/").adapter.allRooms())].sort() });
      } catch (err) {
        return result(cmd, { err: String(err?.message ?? err) });
      }
    case "adapterSockets":
      return result(cmd, { ids: [...(await io.of("/").adapter.sockets(new Set(cmd.rooms)))].sort() });
    case "watch":
      await watch(cmd.pattern);
      return result(cmd, {});
    case "publish":
      await pub.publish(cmd.channel, cmd.message);
      return result(cmd, {});
    case "emitterEmit":
      emitterFor(cmd).emit(cmd.event, ...args);
      return result(cmd, {});
    case "emitterJoin":
      emitterFor(cmd).socketsJoin(cmd.rooms);
      return result(cmd, {});
    case "emitterLeave":
      emitterFor(cmd).socketsLeave(cmd.rooms);
      return result(cmd, {});
    case "emitterDisconnect":
      emitterFor(cmd).disconnectSockets(Boolean(cmd.close));
      return result(cmd, {});
    case "emitterServerSideEmit":
      emitterFor({}).serverSideEmit(cmd.event, ...args);
      return result(cmd, {});
    case "exit":
      emit(cmd.id === undefined ? { ev: "ok", cmd: "exit" } : { ev: "ok", cmd: "exit", id: cmd.id });
      return shutdown();
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
  }
}

httpServer.listen(Number(option("--port", "0")), "127.0.0.1", () => {
  emit({ ev: "listening", port: httpServer.address().port });
});

async function shutdown() {
  io.close();
  await Promise.allSettled([pub.quit(), sub.quit(), ...watchers.map((w) => w.quit())]);
  process.exit(0);
}

serve(handle, shutdown);
