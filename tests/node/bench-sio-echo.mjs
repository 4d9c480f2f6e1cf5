// A Node socket.io server with the reference defaults, for benchmarks only:
//   node bench-sio-echo.mjs <port>
// Every "echo" event is emitted back as "echo-back" with the same arguments.
// Measured by `TARGET=127.0.0.1:<port> cargo bench -p socketio --bench echo`.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2] || 3991);
const http = createServer();
const io = new Server(http);
io.on("connection", (socket) => {
  socket.on("echo", (...args) => socket.emit("echo-back", ...args));
});
http.listen(port, "127.0.0.1", () => console.log(`listening on ${port} (pid ${process.pid})`));
