// A bare Node engine.io echo server with the reference defaults, for benchmarks only:
// node bench-eio-echo.mjs <port>
import { createServer } from "node:http";
import { attach } from "engine.io";

const port = Number(process.argv[2] || 3990);
const http = createServer();
const engine = attach(http, { path: "/engine.io/" });
engine.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
});
http.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
