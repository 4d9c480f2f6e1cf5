// The Node reference `socket.io` server, for checking the sio driver and for parity checks.
//
//   node reference-sio-server.mjs --port 0 [--ping-interval 300] [--ping-timeout 200]
//     [--allow-eio3] [--connect-timeout 45000]
//     [--parser msgpack]   (socket.io-msgpack-parser instead of the default parser)
//
// Listens on 127.0.0.1, path /socket.io/, CORS open to any origin, on every namespace
// (dynamic namespaces accepted) but those whose name starts with /nowhere. `--allow-eio3`
// serves Socket.IO v2 clients too (allowEIO3). Behaviour, per socket:
//   - auth {"token":"bad"} is refused: connect_error "unauthorized" with data {"code":401};
//     auth {"token":"plain"} is refused "forbidden", without data; so is the handshake query
//     refuse=bad, resp. refuse=plain (a v2 client has no auth on /); auth {"token":"zero"}
//     is refused "zero data" with data 0
//   - an event with an ack callback is acknowledged with the same arguments
//   - an event "ask" makes the server emit "question" (args echoed) with an ack callback; the
//     client's answer is sent back as event "answer" with the answer's arguments
//   - an event "bye" makes the server disconnect the socket
//   - "bye-nsp" disconnects the socket from its namespace only (disconnect(false))
//   - "join-room" [room] joins the room, then acks with no argument
//   - "to-room" [room, event, ...args] emits event(...args) to the room, then acks
//   - "ask-room" [room, ...args] emits "question"(...args) to the room with a 2 s ack
//     timeout, then acks with {"err": message or null, "answers": [first args, sorted]}
//   - any other event is emitted back with the same name and arguments
// stdout (JSON lines only): {"ev":"listening","port":N}, then
//   {"ev":"connection","nsp":"..","id":"..","auth":{..}} and {"ev":"disconnect","nsp":"..","id":"..","reason":".."}
// The process ends when stdin ends (or on {"cmd":"exit"}).
import http from "node:http";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";
import { emit, serve } from "./lib/lines.mjs";

const args = process.argv.slice(2);
function flag(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
}

const parserIndex = args.indexOf("--parser");
const parserName = parserIndex >= 0 ? args[parserIndex + 1] : "default";
const parsers = { default: undefined, msgpack: msgpackParser };
if (!(parserName in parsers)) throw new Error(`unknown parser ${JSON.stringify(parserName)}`);

const httpServer = http.createServer();
const io = new Server(httpServer, {
  pingInterval: flag("--ping-interval", 300),
  pingTimeout: flag("--ping-timeout", 200),
  cors: { origin: "*" },
  ...(parsers[parserName] ? { parser: parsers[parserName] } : {}),
  allowEIO3: args.includes("--allow-eio3"),
  connectTimeout: flag("--connect-timeout", 45000),
});

const onConnection = (socket) => {
  const nsp = socket.nsp.name;
  emit({ ev: "connection", nsp, id: socket.id, auth: socket.handshake.auth });
  socket.on("disconnect", (reason) => emit({ ev: "disconnect", nsp, id: socket.id, reason }));
  socket.onAny((event, ...rest) => {
    const ack = typeof rest[rest.length - 1] === "function" ? rest.pop() : null;
    if (event === "ask") {
      socket.emit("question", ...rest, (...answer) => socket.emit("answer", ...answer));
    } else if (event === "bye") {
      socket.disconnect(true);
    } else if (event === "bye-nsp") {
      socket.disconnect(false);
    } else if (event === "join-room") {
      socket.join(rest[0]);
      ack?.();
    } else if (event === "to-room") {
      socket.nsp.to(rest[0]).emit(rest[1], ...rest.slice(2));
      ack?.();
    } else if (event === "ask-room") {
      socket.nsp
        .to(rest[0])
        .timeout(2000)
        .emit("question", ...rest.slice(1), (err, answers) => {
          const sorted = answers.map((a) => JSON.stringify(a)).sort().map((a) => JSON.parse(a));
          ack?.({ err: err ? err.message : null, answers: sorted });
        });
    } else if (ack) {
      ack(...rest);
    } else {
      socket.emit(event, ...rest);
    }
  });
};

const authMiddleware = (socket, next) => {
  const { auth, query } = socket.handshake;
  if (auth?.token === "bad" || query?.refuse === "bad") {
    const err = new Error("unauthorized");
    err.data = { code: 401 };
    next(err);
  } else if (auth?.token === "plain" || query?.refuse === "plain") {
    next(new Error("forbidden"));
  } else if (auth?.token === "zero") {
    const err = new Error("zero data");
    err.data = 0;
    next(err);
  } else {
    next();
  }
};

const dynamic = io.of((name, auth, next) => next(null, !name.startsWith("/nowhere")));
dynamic.use(authMiddleware);
dynamic.on("connection", onConnection);
io.use(authMiddleware);
io.on("connection", onConnection);

httpServer.listen(flag("--port", 0), "127.0.0.1", () => {
  emit({ ev: "listening", port: httpServer.address().port });
});

function shutdown() {
  io.close();
  process.exit(0);
}

serve(async (cmd) => {
  if (cmd.cmd === "exit") {
    emit(cmd.id === undefined ? { ev: "ok", cmd: "exit" } : { ev: "ok", cmd: "exit", id: cmd.id });
    shutdown();
    return;
  }
  throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
}, shutdown);
