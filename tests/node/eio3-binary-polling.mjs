// Binary long-polling payloads of Engine.IO v3, written and read by the official v3 parser
// (engine.io-parser 2.x, the parser of engine.io-client 3.x).
//
// Under Node, engine.io-client 3.x polls in base64 only (its XMLHttpRequest has no binary
// responses); in a browser it sends and reads binary payloads. This script makes the requests
// of such a client itself, with the client's own parser, so the binary framing is exercised.
//
// stdin: JSON lines.
//   {"cmd":"run","url":"http://127.0.0.1:PORT/engine.io/","messages":[{"text":".."}|{"binary":"<b64>"}]}
//     handshakes (EIO=3, no b64), POSTs the messages as one binary payload
//     (application/octet-stream), then polls until as many messages came back.
// Events: {"ev":"open","sid":..,"contentType":..}
//         {"ev":"posted","status":N,"body":".."}
//         {"ev":"payload","contentType":..,"packets":[{"type":..,"text":..}|{"type":..,"binary":..}]}
import { createRequire } from "node:module";
import { emit, serve } from "./lib/lines.mjs";

// The parser the v3 client itself loads, wherever npm placed it.
const here = createRequire(import.meta.url);
const parser = createRequire(here.resolve("engine.io-client-v3"))("engine.io-parser");

function decode(data) {
  const packets = [];
  let failed = false;
  parser.decodePayload(data, (packet) => {
    if (packet.type === "error") failed = true;
    else packets.push(packet);
  });
  if (failed) throw new Error(`the v3 parser refused the payload ${JSON.stringify(String(data))}`);
  return packets;
}

function describePacket(packet) {
  if (Buffer.isBuffer(packet.data) || packet.data instanceof ArrayBuffer) {
    return { type: packet.type, binary: Buffer.from(packet.data).toString("base64") };
  }
  return { type: packet.type, text: packet.data ?? null };
}

async function get(url) {
  const response = await fetch(url);
  const contentType = response.headers.get("content-type");
  const bytes = Buffer.from(await response.arrayBuffer());
  const data = contentType === "application/octet-stream" ? bytes : bytes.toString("utf8");
  return { contentType, packets: decode(data) };
}

async function run(cmd) {
  const base = `${cmd.url}?EIO=3&transport=polling`;
  const opened = await get(`${base}&t=${Date.now()}`);
  const sid = JSON.parse(opened.packets[0].data).sid;
  emit({ ev: "open", sid, contentType: opened.contentType });
  const packets = cmd.messages.map((m) =>
    typeof m.binary === "string"
      ? { type: "message", data: Buffer.from(m.binary, "base64") }
      : { type: "message", data: m.text },
  );
  const body = await new Promise((resolve) => parser.encodePayload(packets, true, resolve));
  const posted = await fetch(`${base}&sid=${sid}`, {
    method: "POST",
    headers: { "content-type": Buffer.isBuffer(body) ? "application/octet-stream" : "text/plain;charset=UTF-8" },
    body,
  });
  emit({ ev: "posted", status: posted.status, body: await posted.text() });
  let received = 0;
  while (received < packets.length) {
    const payload = await get(`${base}&sid=${sid}&t=${Date.now()}`);
    received += payload.packets.filter((p) => p.type === "message").length;
    emit({ ev: "payload", contentType: payload.contentType, packets: payload.packets.map(describePacket) });
  }
}

async function handle(cmd) {
  switch (cmd.cmd) {
    case "run":
      return run(cmd);
    case "exit":
      emit(cmd.id === undefined ? { ev: "ok", cmd: "exit" } : { ev: "ok", cmd: "exit", id: cmd.id });
      process.exit(0);
      return;
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
  }
}

serve(handle, () => process.exit(0));
