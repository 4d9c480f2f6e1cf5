// Interactive driver of the official `engine.io-client`, for the Rust end-to-end tests.
//
// stdin: one JSON command per line; stdout: one JSON event per line (nothing else).
//
// Commands (each may carry "id", echoed in its answer {"ev":"ok","cmd":..,"id":..}; each may
// carry "name" to drive several sockets, default "default"; the events of a socket opened with
// an explicit name carry that "name"):
//   {"cmd":"open","url":"http://127.0.0.1:PORT","opts":{...}}   opts go to `new Socket(url, opts)`
//     with "holdUpgrade":true the WebSocket keeps the upgrade packet (and what follows it)
//     until releaseUpgrade, and reports {"ev":"upgradeHeld"} when it starts holding
//   {"cmd":"send","text":"..."} | {"cmd":"send","binary":"<base64>"}
//   {"cmd":"send","text":"...","count":N}   sends text + "0" .. text + "N-1", all in one tick
//   {"cmd":"state"}   -> {"ev":"state","readyState":..,"sid":..,"transport":..}
//   {"cmd":"close"}   closes the socket
//   {"cmd":"releaseUpgrade"}   sends what the holdUpgrade WebSocket kept, in order
//   {"cmd":"exit"}    ends the process (so does the end of stdin)
// Events: open, upgrade, message, ping, pong, close, error, upgradeError (see README.md here).
// A command that fails is answered {"ev":"driverError","cmd":..,"id":..,"message":..}.
//
// With the argument --v3 the client is engine.io-client 3.x (installed as engine.io-client-v3),
// the Engine.IO v3 client of Socket.IO v2.
import { emit, log, describe, binaryToBase64, serve } from "./lib/lines.mjs";

const V3 = process.argv.includes("--v3");
const client = V3 ? null : await import("engine.io-client");
const Socket = V3 ? (await import("engine.io-client-v3")).default : client.Socket;

const DEFAULT = "default";
/** name -> Socket */
const sockets = new Map();
/** name -> the WebSocket transport holding the upgrade packet */
const heldUpgrades = new Map();

/**
 * The client's own WebSocket transport, except that the upgrade packet and every packet after
 * it wait for `releaseUpgrade`: the client has probed and paused polling (it sends `5` only
 * then), and the server sees no upgrade yet. That is how a slow network delays the packet;
 * here the test decides for how long.
 */
function holdingWebSocket(name, out) {
  return class HoldingWebSocket extends client.NodeWebSocket {
    write(packets) {
      if (this.held === undefined && !packets.some((packet) => packet.type === "upgrade")) {
        super.write(packets);
      } else if (this.held === undefined) {
        this.held = [...packets];
        heldUpgrades.set(name, this);
        out({ ev: "upgradeHeld" });
      } else if (this.held === null) {
        super.write(packets);
      } else {
        this.held.push(...packets);
      }
    }

    release() {
      const held = this.held ?? [];
      this.held = null;
      if (held.length > 0) super.write(held);
    }
  };
}

function attach(name, socket) {
  const out = (event) => emit(name === DEFAULT ? event : { ...event, name });
  socket.on("open", () => {
    // engine.io-client 3.x keeps them without the underscore.
    const handshake = {
      pingInterval: socket._pingInterval ?? socket.pingInterval,
      pingTimeout: socket._pingTimeout ?? socket.pingTimeout,
      maxPayload: socket._maxPayload ?? null,
      upgrades: socket._upgrades ?? socket.upgrades,
    };
    out({ ev: "open", sid: socket.id, transport: socket.transport?.name ?? null, handshake });
  });
  socket.on("upgrade", (transport) => out({ ev: "upgrade", transport: transport.name }));
  socket.on("upgradeError", (err) =>
    out({ ev: "upgradeError", message: String(err?.message ?? err), description: describe(err?.description) }),
  );
  socket.on("message", (data) => {
    if (typeof data === "string") {
      out({ ev: "message", text: data });
    } else {
      const b64 = binaryToBase64(data);
      if (b64 === null) {
        out({ ev: "message", text: String(data), nonString: typeof data });
      } else {
        out({ ev: "message", binary: b64 });
      }
    }
  });
  socket.on("ping", () => out({ ev: "ping" }));
  // Only engine.io-client 3.x has it: the server's answer to its ping.
  socket.on("pong", () => out({ ev: "pong" }));
  socket.on("error", (err) =>
    out({ ev: "error", message: String(err?.message ?? err), description: describe(err?.description) }),
  );
  socket.on("close", (reason, description) => {
    out({ ev: "close", reason: String(reason), description: describe(description) });
    if (sockets.get(name) === socket) sockets.delete(name);
  });
}

function socketFor(cmd) {
  const name = cmd.name ?? DEFAULT;
  const socket = sockets.get(name);
  if (!socket) throw new Error(`no open socket named ${JSON.stringify(name)}`);
  return socket;
}

async function handle(cmd) {
  switch (cmd.cmd) {
    case "open": {
      const name = cmd.name ?? DEFAULT;
      if (typeof cmd.url !== "string") throw new Error("open needs a string url");
      const previous = sockets.get(name);
      if (previous && previous.readyState !== "closed") {
        throw new Error(`socket ${JSON.stringify(name)} is already open`);
      }
      const opts = { ...(cmd.opts ?? {}) };
      if (cmd.holdUpgrade === true) {
        if (V3) throw new Error("holdUpgrade needs engine.io-client 6");
        const out = (event) => emit(name === DEFAULT ? event : { ...event, name });
        opts.transports = [client.NodeXHR, holdingWebSocket(name, out)];
      }
      heldUpgrades.delete(name);
      const socket = new Socket(cmd.url, opts);
      sockets.set(name, socket);
      attach(name, socket);
      return;
    }
    case "send": {
      const socket = socketFor(cmd);
      if (typeof cmd.binary === "string") {
        socket.send(Buffer.from(cmd.binary, "base64"));
      } else if (typeof cmd.text === "string" && Number.isInteger(cmd.count)) {
        // In one tick: the client batches them into as few POSTs as its maxPayload allows.
        for (let i = 0; i < cmd.count; i++) socket.send(`${cmd.text}${i}`);
      } else if (typeof cmd.text === "string") {
        socket.send(cmd.text);
      } else {
        throw new Error("send needs \"text\" or \"binary\"");
      }
      return;
    }
    case "state": {
      const name = cmd.name ?? DEFAULT;
      const socket = sockets.get(name);
      const state = {
        ev: "state",
        readyState: socket?.readyState ?? "closed",
        sid: socket?.id ?? null,
        transport: socket?.transport?.name ?? null,
      };
      emit(name === DEFAULT ? state : { ...state, name });
      return;
    }
    case "close": {
      socketFor(cmd).close();
      return;
    }
    case "releaseUpgrade": {
      const name = cmd.name ?? DEFAULT;
      const transport = heldUpgrades.get(name);
      if (!transport) throw new Error(`no upgrade held for ${JSON.stringify(name)}`);
      heldUpgrades.delete(name);
      transport.release();
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
      socket.close();
    } catch (err) {
      log("close on exit failed:", err);
    }
  }
  process.exit(0);
}

serve(handle, finish);
