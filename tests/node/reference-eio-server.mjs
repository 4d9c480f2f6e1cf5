// The Node reference `engine.io` server, echoing every message back as it came.
//
//   node reference-eio-server.mjs --port 0 [--path /engine.io/] [--ping-interval 300]
//        [--ping-timeout 200] [--max-http-buffer-size 1000000] [--transports polling,websocket]
//        [--upgrade-timeout 10000]
//
// Listens on 127.0.0.1. stdout (JSON lines only):
//   {"ev":"listening","port":N}                      once, first
//   {"ev":"connection","sid":"..","transport":".."}  per new session
//   {"ev":"upgrade","sid":"..","transport":".."}     per completed upgrade
//   {"ev":"message","sid":"..","text":".."} | {"ev":"message","sid":"..","binary":"<base64>"}
//   {"ev":"close","sid":"..","reason":"..","description":..}
// stdin (JSON lines), each answered {"ev":"ok",..} once done:
//   {"cmd":"sendAndClose","sid":"..","texts":[".."]}   socket.send each text, then socket.close()
// The process ends when stdin ends (or on {"cmd":"exit"}).
import http from "node:http";
import { Server as EngineServer } from "engine.io";
import { emit, log, describe, binaryToBase64, serve } from "./lib/lines.mjs";

function parseArgs(argv) {
  const opts = {
    port: 0,
    path: "/engine.io/",
    pingInterval: 300,
    pingTimeout: 200,
    maxHttpBufferSize: 1e6,
    transports: ["polling", "websocket"],
    upgradeTimeout: 10000,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value after ${flag}`);
    i++;
    switch (flag) {
      case "--port": opts.port = Number(value); break;
      case "--path": opts.path = value; break;
      case "--ping-interval": opts.pingInterval = Number(value); break;
      case "--ping-timeout": opts.pingTimeout = Number(value); break;
      case "--max-http-buffer-size": opts.maxHttpBufferSize = Number(value); break;
      case "--transports": opts.transports = value.split(","); break;
      case "--upgrade-timeout": opts.upgradeTimeout = Number(value); break;
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const httpServer = http.createServer((req, res) => {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("not found");
});
const server = new EngineServer({
  path: opts.path,
  pingInterval: opts.pingInterval,
  pingTimeout: opts.pingTimeout,
  maxHttpBufferSize: opts.maxHttpBufferSize,
  transports: opts.transports,
  upgradeTimeout: opts.upgradeTimeout,
  cors: { origin: "*" },
});
server.attach(httpServer, { path: opts.path });

/** sid -> socket, while open */
const sockets = new Map();

server.on("connection", (socket) => {
  sockets.set(socket.id, socket);
  emit({ ev: "connection", sid: socket.id, transport: socket.transport.name });
  socket.on("upgrade", (transport) => emit({ ev: "upgrade", sid: socket.id, transport: transport.name }));
  socket.on("message", (data) => {
    if (typeof data === "string") {
      emit({ ev: "message", sid: socket.id, text: data });
    } else {
      emit({ ev: "message", sid: socket.id, binary: binaryToBase64(data) });
    }
    socket.send(data);
  });
  socket.on("close", (reason, description) => {
    sockets.delete(socket.id);
    emit({ ev: "close", sid: socket.id, reason: String(reason), description: describe(description) });
  });
});
server.on("connection_error", (err) => log("connection_error:", err.code, err.message));

httpServer.listen(opts.port, "127.0.0.1", () => {
  emit({ ev: "listening", port: httpServer.address().port });
});

function shutdown() {
  server.close();
  httpServer.close();
  process.exit(0);
}

serve(async (cmd) => {
  if (cmd.cmd === "exit") {
    emit(cmd.id === undefined ? { ev: "ok", cmd: "exit" } : { ev: "ok", cmd: "exit", id: cmd.id });
    shutdown();
    return;
  }
  if (cmd.cmd === "sendAndClose") {
    const socket = sockets.get(cmd.sid);
    if (!socket) throw new Error(`no open session ${JSON.stringify(cmd.sid)}`);
    for (const text of cmd.texts ?? []) socket.send(text);
    socket.close();
    return;
  }
  throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
}, shutdown);
