import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchOnFreePort, restartable, terminate } from "./child-services.ts";

const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 15_000;

export interface TestRedis {
  /** `redis://127.0.0.1:<port>`, what `REDIS_URL` is set to. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (the port stays reserved for `start`): "Redis down" for a test. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

export type RespValue = string | number | null | RespValue[];

/**
 * Starts Debian's `redis-server` on a free port of 127.0.0.1, without persistence and in its own
 * temporary folder, and resolves once it answers PING.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), "test-redis-"));
  const { port, child } = await launchOnFreePort(HOST, dir, (port) => launch(port, dir));
  const { stop, start } = restartable(child, () => launch(port, dir), "SIGTERM", 5000);
  return {
    url: `redis://${HOST}:${port}`,
    port,
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", dir];
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));

  const failed = new Promise<never>((_resolve, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "ENOENT"
          ? new Error("redis-server is not installed: install Debian's redis-server (as .ci/run does)")
          : error,
      );
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before answering:\n${output}`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const pong = await Promise.race([redisCommand(port, ["PING"]).catch(() => undefined), failed]);
    if (pong === "PONG") return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await terminate(child, "SIGTERM", 5000);
  throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

/**
 * Sends one command in RESP and reads its one reply, over a fresh connection. Enough for fixtures
 * and checks; the application's Redis client is a real library.
 */
export function redisCommand(port: number, args: string[], timeoutMs = 2000): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    let buffer = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no Redis reply within ${timeoutMs} ms`)));
    socket.once("error", reject);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      let parsed: { value: RespValue; end: number } | undefined;
      try {
        parsed = parseReply(buffer, 0);
      } catch (error) {
        socket.destroy();
        reject(error);
        return;
      }
      if (!parsed) return;
      socket.end();
      resolve(parsed.value);
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
  });
}

/** One RESP2 reply from `offset`, or undefined when more bytes are needed. Errors are thrown. */
function parseReply(buffer: Buffer, offset: number): { value: RespValue; end: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      throw new Error(`Redis error: ${line}`);
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, end);
        if (!item) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected Redis reply type ${JSON.stringify(type)}`);
  }
}
