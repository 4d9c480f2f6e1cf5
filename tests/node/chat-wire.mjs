// What travels between a page and the chat server, as Playwright sees it: every Engine.IO
// packet of the page's long-polling requests and WebSocket frames, decoded down to Socket.IO
// packets (binary attachments put back in place). Used by chat-browser.mjs.
//
//   const wire = new Wire(page);            // before page.goto
//   ...
//   const events = await wire.sio();        // every Socket.IO packet, both ways, in order
//
// Long-polling: the request body of each POST (`page.on("request")`) and the response body of
// each GET (`page.on("requestfinished")`), payloads of packets separated by \x1e, binary ones as
// "b<base64>". WebSocket: `page.on("websocket")`, then `framesent` / `framereceived`; a text
// frame is one packet, a binary frame one binary message.
import { createHash } from "node:crypto";

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

const EIO_TYPES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];
const SIO_TYPES = ["CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"];

/** The Engine.IO query of a URL of the Socket.IO endpoint, or null for any other URL. */
export function engineQuery(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!u.pathname.startsWith("/socket.io/")) return null;
  return { transport: u.searchParams.get("transport"), sid: u.searchParams.get("sid") };
}

/** One Engine.IO packet from its text form ("4hello") or a binary message (Buffer). */
function eioPacket(data) {
  if (typeof data !== "string") return { type: "message", binary: Buffer.from(data) };
  return { type: EIO_TYPES[Number(data[0])] ?? `?${data[0]}`, text: data.slice(1) };
}

/** The packets of a long-polling payload (Engine.IO v4). */
export function decodePayload(body) {
  if (body === "") return [];
  return body.split("\x1e").map((part) =>
    part[0] === "b" ? { type: "message", binary: Buffer.from(part.slice(1), "base64") } : eioPacket(part),
  );
}

/**
 * A Socket.IO packet from the text of an Engine.IO message:
 * `<type>[<attachments>-][<nsp>,][<id>][<json>]`.
 */
export function decodeSio(text) {
  const type = SIO_TYPES[Number(text[0])] ?? `?${text[0]}`;
  let i = 1;
  let attachments = 0;
  if (type === "BINARY_EVENT" || type === "BINARY_ACK") {
    const dash = text.indexOf("-", i);
    attachments = Number(text.slice(i, dash));
    i = dash + 1;
  }
  let nsp = "/";
  if (text[i] === "/") {
    const comma = text.indexOf(",", i);
    const end = comma === -1 ? text.length : comma;
    nsp = text.slice(i, end);
    i = comma === -1 ? end : end + 1;
  }
  let id = null;
  const digits = /^\d+/.exec(text.slice(i));
  if (digits) {
    id = Number(digits[0]);
    i += digits[0].length;
  }
  const data = i < text.length ? JSON.parse(text.slice(i)) : null;
  return { type, nsp, id, attachments, data };
}

/** Puts attachments back in place of their `{_placeholder: true, num}`. */
function fill(value, attachments) {
  if (Array.isArray(value)) return value.map((v) => fill(v, attachments));
  if (value && typeof value === "object") {
    if (value._placeholder === true && typeof value.num === "number") return attachments[value.num];
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, attachments)]));
  }
  return value;
}

export class Wire {
  /** Starts recording `page` (call before it opens the chat). */
  constructor(page) {
    this.t0 = Date.now();
    this.seq = 0;
    // { seq, t, dir: "out" | "in", transport, sid, type, text?, binary? }
    this.packets = [];
    // Long-polling requests: { seq, t, method, sid }
    this.requests = [];
    // WebSockets of the endpoint: { url, sid, t, closedAt, sent, received }
    this.sockets = [];
    this.pending = new Set();
    this.requestSeq = new WeakMap();
    // Called with each outgoing Socket.IO event as soon as it is seen: ({ name, args, transport }).
    this.onOutgoingEvent = null;
    page.on("request", (request) => this.#request(request));
    page.on("requestfinished", (request) => this.#finished(request));
    page.on("websocket", (ws) => this.#websocket(ws));
  }

  now() {
    return Date.now() - this.t0;
  }

  #add(dir, transport, sid, packets, seq = ++this.seq) {
    const t = this.now();
    for (const packet of packets) {
      this.packets.push({ seq, t, dir, transport, sid, ...packet });
      if (dir === "out" && packet.type === "message" && packet.text !== undefined && this.onOutgoingEvent) {
        try {
          const sio = decodeSio(packet.text);
          if (sio.type === "EVENT" || sio.type === "BINARY_EVENT") {
            this.onOutgoingEvent({ name: sio.data?.[0], args: sio.data?.slice(1), transport });
          }
        } catch {
          // not a Socket.IO packet: reported by sio() later
        }
      }
    }
  }

  #request(request) {
    const query = engineQuery(request.url());
    if (!query || query.transport !== "polling") return;
    const seq = ++this.seq;
    const method = request.method();
    this.requests.push({ seq, t: this.now(), method, sid: query.sid });
    this.requestSeq.set(request, seq);
    if (method === "POST") {
      const body = request.postDataBuffer();
      this.#add("out", "polling", query.sid, decodePayload(body ? body.toString("utf8") : ""), seq);
    }
  }

  #finished(request) {
    const query = engineQuery(request.url());
    if (!query || query.transport !== "polling" || request.method() !== "GET") return;
    const seq = this.requestSeq.get(request) ?? ++this.seq;
    const read = (async () => {
      const response = await request.response();
      if (!response || response.status() !== 200) return;
      const body = (await response.body()).toString("utf8");
      const packets = decodePayload(body);
      // The handshake's answer carries the session id.
      const sid = query.sid ?? (packets[0]?.type === "open" ? JSON.parse(packets[0].text).sid : null);
      this.#add("in", "polling", sid, packets, seq);
    })().catch(() => {});
    this.pending.add(read);
    read.finally(() => this.pending.delete(read));
  }

  #websocket(ws) {
    const query = engineQuery(ws.url());
    if (!query) return;
    const socket = { url: ws.url(), sid: query.sid, t: this.now(), closedAt: null, sent: 0, received: 0 };
    this.sockets.push(socket);
    ws.on("framesent", (frame) => {
      socket.sent += 1;
      this.#add("out", "websocket", query.sid, [eioPacket(frame.payload)]);
    });
    ws.on("framereceived", (frame) => {
      socket.received += 1;
      this.#add("in", "websocket", query.sid, [eioPacket(frame.payload)]);
    });
    ws.on("close", () => {
      socket.closedAt = this.now();
    });
  }

  /** Waits for the response bodies still being read. */
  async settle() {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Engine.IO packets, in order (`dir` "out" or "in", or both when omitted). */
  async eio(dir) {
    await this.settle();
    return this.packets
      .filter((p) => dir === undefined || p.dir === dir)
      .sort((a, b) => a.seq - b.seq);
  }

  /**
   * Socket.IO packets, in order: { seq, t, dir, transport, sid, type, nsp, id, data, name, args,
   * binaries } where `name`/`args` are set for events, and the binaries (Buffers) of binary
   * packets are put in place and listed with the transport that carried them.
   */
  async sio(dir) {
    const out = [];
    for (const d of dir === undefined ? ["out", "in"] : [dir]) {
      let waiting = null; // a binary packet waiting for its attachments
      for (const p of await this.eio(d)) {
        if (p.type !== "message") continue;
        if (p.binary !== undefined) {
          if (!waiting) throw new Error(`${d}: a binary message without a binary packet before it`);
          waiting.binaries.push({ bytes: p.binary, transport: p.transport });
          if (waiting.binaries.length === waiting.attachments) {
            waiting.data = fill(waiting.data, waiting.binaries.map((b) => b.bytes));
            out.push(finish(waiting));
            waiting = null;
          }
          continue;
        }
        const sio = { seq: p.seq, t: p.t, dir: d, transport: p.transport, sid: p.sid, ...decodeSio(p.text), binaries: [] };
        if (sio.attachments > 0) waiting = sio;
        else out.push(finish(sio));
      }
      if (waiting) throw new Error(`${d}: a binary packet still waits for its attachments`);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** The events named `name`, one way. */
  async events(dir, name) {
    return (await this.sio(dir)).filter((p) => (p.type === "EVENT" || p.type === "BINARY_EVENT") && p.name === name);
  }
}

function finish(sio) {
  if ((sio.type === "EVENT" || sio.type === "BINARY_EVENT") && Array.isArray(sio.data)) {
    sio.name = sio.data[0];
    sio.args = sio.data.slice(1);
  }
  return sio;
}
