// A Node socket.io server with the reference defaults, for benchmarks only:
//   node bench-sio-broadcast.mjs <port>
// An event "go" with a count M makes the server broadcast M ticks to the main namespace in a
// loop: io.emit("tick", i, sentAt, "<64 bytes>"), sentAt being the wall clock in microseconds
// since the Unix epoch (read by the benchmark's clients on the same machine).
// Measured by `TARGET=127.0.0.1:<port> cargo bench -p socketio --bench broadcast`.
import { createServer } from "node:http";
import { Server } from "socket.io";

const PAYLOAD = "0123456789abcdef".repeat(4);
const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

const port = Number(process.argv[2] || 3992);
const http = createServer();
const io = new Server(http);
io.on("connection", (socket) => {
  socket.on("go", (count) => {
    for (let i = 0; i < count; i++) io.emit("tick", i, nowMicros(), PAYLOAD);
  });
});
http.listen(port, "127.0.0.1", () => console.log(`listening on ${port} (pid ${process.pid})`));
