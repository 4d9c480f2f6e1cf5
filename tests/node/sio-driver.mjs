// Interactive driver of the official `socket.io-client`, for the Rust end-to-end tests.
//
// stdin: one JSON command per line; stdout: one JSON event per line (nothing else).
// Every command may carry "id", echoed in its answer {"ev":"ok","cmd":..,"id":..}; a command
// that fails is answered {"ev":"driverError","cmd":..,"id":..,"message":..} instead.
//
// Commands:
//   {"cmd":"connect","name":"s1","url":"http://127.0.0.1:PORT/nsp","opts":{...}}
//        opts go to io(url, opts); reconnection is false unless given; "parser":"msgpack"
//        stands for socket.io-msgpack-parser (the package itself goes to io()). With a known
//        name and no url, reconnects that socket (socket.connect()).
//   {"cmd":"emit","name":"s1","event":"e","args":[...],"ack":true,"timeout":ms}
//        with "ack", the answer comes later as {"ev":"ack","name","id":<command id>,"args"}
//        or {"ev":"ackError","name","id","message"} (timeout, disconnection); without
//        "ack", "count":N emits N times in one tick, each with its index 0..N-1 after args
//   {"cmd":"ack","ackId":N,"args":[...]}     answers a server event that asked for an ack
//   {"cmd":"disconnect","name":"s1"}
//   {"cmd":"state","name":"s1"} -> {"ev":"state","name","connected","id","transport"}
//   {"cmd":"exit"}                            (the end of stdin exits too)
// Events: connect, connect_error, disconnect, event, ack, ackError, engine_upgrade.
// Binary values anywhere in args travel as {"$bin":"<base64>"}, both ways.
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { emit, log, describe, binaryToBase64, serve } from "./lib/lines.mjs";

/** name -> Socket */
const sockets = new Map();
/** ackId -> ack callback of a server event */
const pendingAcks = new Map();
let nextAckId = 1;

/** Replaces binary values by {"$bin": base64}, recursively. */
function encodeValue(value) {
  const b64 = binaryToBase64(value);
  if (b64 !== null) return { $bin: b64 };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value !== null && typeof value === "object") {
    if (typeof value.toJSON === "function") return encodeValue(value.toJSON());
    const out = {};
    for (const [key, inner] of Object.entries(value)) out[key] = encodeValue(inner);
    return out;
  }
  return value === undefined ? null : value;
}

/** Replaces {"$bin": base64} by Buffers, recursively. */
function decodeValue(value) {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$bin" && typeof value.$bin === "string") {
      return Buffer.from(value.$bin, "base64");
    }
    const out = {};
    for (const [key, inner] of Object.entries(value)) out[key] = decodeValue(inner);
    return out;
  }
  return value;
}

/** The parsers a command may name, as io()'s `parser` option takes them. */
const parsers = { msgpack: msgpackParser };

/** io()'s options from a command's: reconnection off unless given, the parser by its name. */
function clientOptions(opts) {
  const out = { reconnection: false, ...(opts ?? {}) };
  if (out.parser !== undefined) {
    const parser = parsers[out.parser];
    if (!parser) throw new Error(`unknown parser ${JSON.stringify(out.parser)}`);
    out.parser = parser;
  }
  return out;
}

function attach(name, socket) {
  socket.on("connect", () =>
    emit({ ev: "connect", name, id: socket.id, recovered: Boolean(socket.recovered) }),
  );
  socket.on("connect_error", (err) =>
    emit({
      ev: "connect_error",
      name,
      message: String(err?.message ?? err),
      data: err?.data === undefined ? null : encodeValue(err.data),
    }),
  );
  socket.on("disconnect", (reason, description) =>
    emit({ ev: "disconnect", name, reason: String(reason), description: describe(description) }),
  );
  socket.onAny((event, ...args) => {
    let ackId = null;
    if (args.length > 0 && typeof args[args.length - 1] === "function") {
      ackId = nextAckId++;
      pendingAcks.set(ackId, args.pop());
    }
    emit({ ev: "event", name, event, args: encodeValue(args), ackId });
  });
  const hooked = new WeakSet();
  const hookEngine = (engine) => {
    if (!engine || hooked.has(engine)) return;
    hooked.add(engine);
    engine.on("upgrade", (transport) => emit({ ev: "engine_upgrade", name, transport: transport.name }));
  };
  hookEngine(socket.io.engine);
  socket.io.on("open", () => hookEngine(socket.io.engine));
}

function socketFor(cmd) {
  const socket = sockets.get(cmd.name);
  if (!socket) throw new Error(`no socket named ${JSON.stringify(cmd.name)}`);
  return socket;
}

async function handle(cmd) {
  switch (cmd.cmd) {
    case "connect": {
      if (typeof cmd.name !== "string") throw new Error("connect needs a string name");
      const existing = sockets.get(cmd.name);
      if (cmd.url === undefined) {
        if (!existing) throw new Error(`no socket named ${JSON.stringify(cmd.name)} to reconnect`);
        existing.connect();
        return;
      }
      if (existing) throw new Error(`socket ${JSON.stringify(cmd.name)} already exists`);
      const socket = io(cmd.url, clientOptions(cmd.opts));
      sockets.set(cmd.name, socket);
      attach(cmd.name, socket);
      return;
    }
    case "emit": {
      const socket = socketFor(cmd);
      if (typeof cmd.event !== "string") throw new Error("emit needs a string event");
      const args = decodeValue(cmd.args ?? []);
      if (!Array.isArray(args)) throw new Error("emit args must be an array");
      if (cmd.ack) {
        const id = cmd.id ?? null;
        // error-first whatever the options (timeout, ackTimeout, retries), like emitWithAck
        const callback = (err, ...answer) => {
          if (err) {
            emit({ ev: "ackError", name: cmd.name, id, message: String(err?.message ?? err) });
          } else {
            emit({ ev: "ack", name: cmd.name, id, args: encodeValue(answer) });
          }
        };
        callback.withError = true;
        const target = typeof cmd.timeout === "number" ? socket.timeout(cmd.timeout) : socket;
        target.emit(cmd.event, ...args, callback);
      } else {
        const target = typeof cmd.timeout === "number" ? socket.timeout(cmd.timeout) : socket;
        if (typeof cmd.count === "number") {
          for (let i = 0; i < cmd.count; i++) target.emit(cmd.event, ...args, i);
        } else {
          target.emit(cmd.event, ...args);
        }
      }
      return;
    }
    case "ack": {
      const callback = pendingAcks.get(cmd.ackId);
      if (!callback) throw new Error(`no pending ack ${JSON.stringify(cmd.ackId)}`);
      pendingAcks.delete(cmd.ackId);
      const args = decodeValue(cmd.args ?? []);
      callback(...(Array.isArray(args) ? args : [args]));
      return;
    }
    case "disconnect": {
      socketFor(cmd).disconnect();
      return;
    }
    case "state": {
      const socket = socketFor(cmd);
      emit({
        ev: "state",
        name: cmd.name,
        connected: socket.connected,
        id: socket.id ?? null,
        transport: socket.io.engine?.transport?.name ?? null,
      });
      return;
    }
    case "exit": {
      emit(cmd.id === undefined ? { ev: "ok", cmd: "exit" } : { ev: "ok", cmd: "exit", id: cmd.id });
      finish();
      return;
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
  }
}

function finish() {
  for (const socket of sockets.values()) {
    try {
      socket.disconnect();
    } catch (err) {
      log("disconnect on exit failed:", err);
    }
  }
  process.exit(0);
}

serve(handle, finish);
