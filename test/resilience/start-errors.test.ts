import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** A port held by another listener for the whole file. */
let taken: Server;
let takenPort: number;

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  takenPort = (taken.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

/** `src/main.ts` as production runs it (with the embedded emulator), until it exits. */
function startUntilExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--unhandled-rejections=strict", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", LOG_LEVEL: "silent", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

describe("a configuration that cannot be used", () => {
  it("stops the server with one line naming TRUSTED_DOCUMENTS_FILE when the file cannot be read", async () => {
    const { code, stderr } = await startUntilExit({ PORT: "0", TRUSTED_DOCUMENTS_FILE: "/nonexistent/documents.json" });
    expect(code).not.toBe(0);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: TRUSTED_DOCUMENTS_FILE could not be read as JSON \(ENOENT/);
  });
});

describe("a listener that cannot start", () => {
  it("stops the server with one line naming PORT when the port is taken", async () => {
    const { code, stderr } = await startUntilExit({ PORT: String(takenPort) });
    expect(code).not.toBe(0);
    expect(stderr.trim().split("\n")).toEqual([
      `Cannot listen on 127.0.0.1:${takenPort}: the port is already in use (another server?); set PORT to a free port.`,
    ]);
  });

  it("stops the server with one line naming OPS_PORT when the ops port is taken", async () => {
    const { code, stderr } = await startUntilExit({ PORT: "0", OPS_PORT: String(takenPort) });
    expect(code).not.toBe(0);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/OPS_PORT/);
    expect(lines[0]).not.toMatch(/\bat\b.*\.ts:\d+/);
  });
});
