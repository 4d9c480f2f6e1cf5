// The Encoder and Decoder of the official `socket.io-msgpack-parser` (with the notepack.io it
// pulls), for the Rust wire-compatibility tests of our msgpack parser.
//
// stdin: one JSON command per line; stdout: one JSON event per line (nothing else).
// Every command may carry "id", echoed in its answer {"ev":"ok","cmd":..,"id":..}.
//
// Commands:
//   {"cmd":"encode","packet":<tagged>}  -> {"ev":"encoded","id","messages":["<base64>", ...]}
//        the packet object is built from its tagged JSON (below), keys in the given order, and
//        encoded with `new Encoder().encode(packet)`
//   {"cmd":"decode","bytes":"<base64>"} -> {"ev":"decoded","id","packet":<tagged>}
//                                        or {"ev":"decodeError","id","message"}
//        with a fresh `new Decoder()`: `add(Buffer)` and its "decoded" event
//   {"cmd":"exit"}
//
// Tagged JSON, both ways (plain JSON values stand for themselves):
//   {"$bin":"<base64>"}  a Buffer          {"$ab":"<base64>"}  an ArrayBuffer
//   {"$undef":true}      undefined         {"$date":<ms>}      a Date
//   {"$int":"<digits>"}  an integer past Number.MAX_SAFE_INTEGER (in either direction)
//   {"$float":"NaN"|"Infinity"|"-Infinity"}
// Numbers that JSON carries exactly (safe integers, finite floats) are plain JSON numbers.
import msgpackParser from "socket.io-msgpack-parser";
import { emit, serve, binaryToBase64 } from "./lib/lines.mjs";

const { Encoder, Decoder } = msgpackParser;

/** The JavaScript value of tagged JSON. */
function fromTagged(value) {
  if (Array.isArray(value)) return value.map(fromTagged);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys;
    const inner = value[key];
    if (key === "$bin") return Buffer.from(inner, "base64");
    if (key === "$ab") {
      const bytes = Buffer.from(inner, "base64");
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    }
    if (key === "$undef") return undefined;
    if (key === "$date") return new Date(inner);
    if (key === "$int") return Number(inner);
    if (key === "$float") return Number(inner);
  }
  const out = {};
  for (const [key, inner] of Object.entries(value)) out[key] = fromTagged(inner);
  return out;
}

/** Tagged JSON of a JavaScript value, as the decoder made it. */
function toTagged(value) {
  if (value === undefined) return { $undef: true };
  if (value instanceof Date) return { $date: value.getTime() };
  if (value instanceof ArrayBuffer) return { $ab: binaryToBase64(value) };
  if (Buffer.isBuffer(value)) return { $bin: binaryToBase64(value) };
  if (Array.isArray(value)) return value.map(toTagged);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return { $float: String(value) };
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      return { $int: BigInt(value).toString() };
    }
    return value;
  }
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const [key, inner] of Object.entries(value)) out[key] = toTagged(inner);
    return out;
  }
  return value;
}

function decode(bytes) {
  const decoder = new Decoder();
  let packet;
  decoder.on("decoded", (decoded) => {
    packet = decoded;
  });
  decoder.add(Buffer.from(bytes, "base64"));
  decoder.destroy();
  return packet;
}

serve(
  (cmd) => {
    switch (cmd.cmd) {
      case "encode": {
        const messages = new Encoder().encode(fromTagged(cmd.packet));
        emit({ ev: "encoded", id: cmd.id, messages: messages.map((m) => binaryToBase64(m)) });
        break;
      }
      case "decode": {
        let packet;
        try {
          packet = decode(cmd.bytes);
        } catch (err) {
          emit({ ev: "decodeError", id: cmd.id, message: String(err?.message ?? err) });
          break;
        }
        emit({ ev: "decoded", id: cmd.id, packet: toTagged(packet) });
        break;
      }
      case "exit":
        emit(cmd.id === undefined ? { ev: "ok", cmd: "exit" } : { ev: "ok", cmd: "exit", id: cmd.id });
        process.exit(0);
        break;
      default:
        throw new Error(`unknown command ${cmd.cmd}`);
    }
  },
  () => process.exit(0),
);
