// Shared plumbing of the drivers: JSON lines in on stdin, JSON lines out on stdout.
//
// stdout carries nothing but one JSON object per line; diagnostics go to stderr.
import { createInterface } from "node:readline";
import { writeSync } from "node:fs";

/** Writes one event as a JSON line on stdout, synchronously (so it is flushed at once). */
export function emit(event) {
  const line = JSON.stringify(event) + "\n";
  // fd 1 is a pipe when driven by the Rust harness; writeSync keeps the order strict and
  // guarantees the line is out before a following process.exit().
  let buf = Buffer.from(line, "utf8");
  while (buf.length > 0) {
    try {
      const n = writeSync(1, buf);
      buf = buf.subarray(n);
    } catch (err) {
      if (err.code === "EAGAIN") continue;
      if (err.code === "EPIPE") process.exit(0);
      throw err;
    }
  }
}

/** Writes a diagnostic line on stderr. */
export function log(...parts) {
  process.stderr.write(`[${process.argv[1]?.split("/").pop()}] ${parts.join(" ")}\n`);
}

/** Scalar fields of a transport error's `context` (an XHR, a ws CloseEvent / ErrorEvent). */
function summarizeContext(context) {
  if (context === undefined || context === null || typeof context !== "object") return null;
  const out = {};
  for (const key of ["type", "code", "reason", "wasClean", "status", "statusText", "message"]) {
    let value;
    try {
      value = context[key];
    } catch {
      continue;
    }
    if (value !== undefined && value !== null && typeof value !== "object" && typeof value !== "function") {
      out[key] = value;
    }
  }
  try {
    const text = context.responseText;
    if (typeof text === "string" && text.length > 0) out.responseText = text.slice(0, 300);
  } catch {
    // not an XHR
  }
  return Object.keys(out).length > 0 ? out : null;
}

/**
 * Turns a close/error description (string, Error, `{description, context}` object, undefined)
 * into a string or null, so it can travel as JSON.
 */
export function describe(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (value instanceof Error) {
    const parts = [value.message || String(value)];
    if (value.description !== undefined && value.description !== null) {
      parts.push(`description: ${describe(value.description)}`);
    }
    const context = summarizeContext(value.context);
    if (context) parts.push(`context: ${JSON.stringify(context)}`);
    if (value.code) parts.push(`code: ${value.code}`);
    return parts.join("; ");
  }
  if (typeof value === "object") {
    // e.g. { description, context } from engine.io-client
    const plain = {};
    for (const key of ["description", "message", "code", "reason", "type", "status"]) {
      const inner = value[key];
      if (inner === undefined || inner === null) continue;
      if (typeof inner !== "object") plain[key] = inner;
      else if (inner instanceof Error) plain[key] = describe(inner);
    }
    const context = summarizeContext(value.context);
    if (context) plain.context = context;
    if (Object.keys(plain).length > 0) return JSON.stringify(plain);
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** Bytes of a Buffer / ArrayBuffer / typed array as base64, or null when `value` is not binary. */
export function binaryToBase64(value) {
  if (Buffer.isBuffer(value)) return value.toString("base64");
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString("base64");
  if (ArrayBuffer.isView(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  }
  return null;
}

/**
 * Reads JSON commands, one per line, from stdin and hands each to `handle` in order. A handler
 * may be async; the next command waits for it. `onEnd` runs when stdin ends.
 */
export function serve(handle, onEnd) {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  let chain = Promise.resolve();
  rl.on("line", (line) => {
    if (line.trim() === "") return;
    chain = chain.then(async () => {
      let cmd;
      try {
        cmd = JSON.parse(line);
      } catch (err) {
        emit({ ev: "driverError", cmd: null, id: null, message: `bad JSON command: ${err.message}` });
        return;
      }
      try {
        await handle(cmd);
        const ok = { ev: "ok", cmd: cmd.cmd ?? null };
        if (cmd.id !== undefined) ok.id = cmd.id;
        emit(ok);
      } catch (err) {
        log(`command ${line} failed:`, err?.stack ?? err);
        emit({ ev: "driverError", cmd: cmd?.cmd ?? null, id: cmd?.id ?? null, message: String(err?.message ?? err) });
      }
    });
  });
  rl.on("close", () => {
    chain.then(() => onEnd());
  });
}
