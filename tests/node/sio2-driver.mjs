// Interactive driver of the official `socket.io-client` 2.x (Socket.IO protocol v4 over
// Engine.IO v3), for the Rust end-to-end tests. Same JSON-lines convention as sio-driver.mjs.
//
// Commands:
//   {"cmd":"connect","name":"s1","url":"http://127.0.0.1:PORT/nsp","opts":{...}}
//        opts go to io(url, opts) (query, transports, upgrade, forceNew, ...); reconnection is
//        false unless given. Sockets of one host share a Manager (one Engine.IO session)
//        unless opts say forceNew, as the client does. With a known name and no url,
//        connects that socket again (socket.connect()).
//   {"cmd":"emit","name":"s1","event":"e","args":[...],"ack":true}
//        with "ack", the answer comes later as {"ev":"ack","name","id":<command id>,"args"}
//        (the 2.x client has no ack timeout)
//   {"cmd":"ack","ackId":N,"args":[...]}     answers a server event that asked for an ack
//   {"cmd":"disconnect","name":"s1"}          socket.disconnect()
//   {"cmd":"closeEngine","name":"s1"}         closes the socket's Engine.IO session
//   {"cmd":"state","name":"s1"} -> {"ev":"state","name","connected","id","transport"}
//   {"cmd":"exit"}                            (the end of stdin exits too)
// Events:
//   {"ev":"connect","name","id"}              socket.id as the client computed it
//   {"ev":"error","name","data","message"}    the socket's `error` event: a refused CONNECT's
//                                             data as it came; `message` when it is an Error
//   {"ev":"connect_error","name","message","description"}   the Engine.IO session failed
//   {"ev":"disconnect","name","reason"}
//   {"ev":"event","name","event","args":[...],"ackId":N|null}   every incoming event
//   {"ev":"engine_upgrade","name","transport"}
//   {"ev":"pong","name"}                      the server answered the client's ping
// Binary values anywhere in args travel as {"$bin":"<base64>"}, both ways.
import io from "socket.io-client-v2";
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

function attach(name, socket) {
  socket.on("connect", () => emit({ ev: "connect", name, id: socket.id }));
  socket.on("error", (data) =>
    emit({
      ev: "error",
      name,
      data: data instanceof Error ? null : encodeValue(data),
      message: data instanceof Error ? String(data.message) : null,
    }),
  );
  socket.on("connect_error", (err) =>
    emit({
      ev: "connect_error",
      name,
      message: String(err?.message ?? err),
      description: describe(err?.description),
    }),
  );
  socket.on("disconnect", (reason) => emit({ ev: "disconnect", name, reason: String(reason) }));
  socket.on("pong", () => emit({ ev: "pong", name }));
  // The 2.x client has no onAny: every incoming EVENT goes through onevent, which is replaced
  // here (the driver has no handlers of its own to call).
  socket.onevent = (packet) => {
    const args = (packet.data || []).slice();
    const event = args.shift();
    let ackId = null;
    if (packet.id !== undefined && packet.id !== null) {
      ackId = nextAckId++;
      pendingAcks.set(ackId, socket.ack(packet.id));
    }
    emit({ ev: "event", name, event, args: encodeValue(args), ackId });
  };
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
      if (cmd.url === undefined) {
        socketFor(cmd).connect();
        return;
      }
      if (sockets.has(cmd.name)) throw new Error(`socket ${JSON.stringify(cmd.name)} already exists`);
      const socket = io(cmd.url, { reconnection: false, ...(cmd.opts ?? {}) });
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
        socket.emit(cmd.event, ...args, (...answer) =>
          emit({ ev: "ack", name: cmd.name, id, args: encodeValue(answer) }),
        );
      } else {
        socket.emit(cmd.event, ...args);
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
    case "closeEngine": {
      const engine = socketFor(cmd).io.engine;
      if (!engine) throw new Error("no Engine.IO session to close");
      engine.close();
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
