import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";

/** A port nobody listens on at this moment, for a service the test starts itself. */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** Stops a service the test started: `signal` first, SIGKILL if it is still there after `graceMs`. */
export async function terminate(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a service on a free port. Another process may take the port between the probe and the
 * service's bind, so it tries three ports; after the third failure `dir` is removed and the error thrown.
 */
export async function launchOnFreePort(
  host: string,
  dir: string,
  launch: (port: number) => Promise<ChildProcess>,
): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(host);
    try {
      return { port, child: await launch(port) };
    } catch (error) {
      if (attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** A running service that a test may stop (as when it goes away) and start again on the same port. */
export function restartable(
  child: ChildProcess,
  relaunch: () => Promise<ChildProcess>,
  stopSignal: NodeJS.Signals,
  graceMs: number,
): { stop(): Promise<void>; start(): Promise<void> } {
  let running: ChildProcess | undefined = child;
  return {
    async stop() {
      const current = running;
      running = undefined;
      if (current) await terminate(current, stopSignal, graceMs);
    },
    async start() {
      if (running) return;
      running = await relaunch();
    },
  };
}
