// Node socket.io 4.x with the behaviour every server of the load benchmarks shares:
// `echo` answers the sender with the same arguments, `broadcast` goes to every other socket
// of the main namespace with the same arguments. Defaults otherwise (polling + websocket,
// no per-message deflate).
//
//   node bench/node-server.mjs --port 3000 [--parser msgpack]
//
// socket.io is taken from tests/node/node_modules (`npm ci` in tests/node installs it).
// PING_INTERVAL and PING_TIMEOUT (ms) in the environment override the heartbeat's, to check
// that the load generator answers pings.
import { createServer } from "node:http";
import { createRequire } from "node:module";

const require = createRequire(new URL("../tests/node/package.json", import.meta.url));
const { Server } = require("socket.io");

function option(name, fallback) {
  const args = process.argv.slice(2);
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
}
const port = () => Number(option("--port", "3000"));

const options = {};
const parser = option("--parser", "default");
if (parser === "msgpack") options.parser = require("socket.io-msgpack-parser");
else if (parser !== "default") throw new Error(`--parser: default or msgpack, not ${parser}`);
if (process.env.PING_INTERVAL) options.pingInterval = Number(process.env.PING_INTERVAL);
if (process.env.PING_TIMEOUT) options.pingTimeout = Number(process.env.PING_TIMEOUT);

const http = createServer();
const io = new Server(http, options);
io.on("connection", (socket) => {
  socket.on("echo", (...args) => socket.emit("echo", ...args));
  socket.on("broadcast", (...args) => socket.broadcast.emit("broadcast", ...args));
});
http.listen(port(), "127.0.0.1", () => {
  console.log(`node socket.io ${require("socket.io/package.json").version} (${parser} parser) on port ${port()} (pid ${process.pid})`);
});
