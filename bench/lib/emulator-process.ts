import { type ChildProcess, spawn } from "node:child_process";
import type { Upstream } from "./server-process.ts";

export interface EmulatorProcess extends Upstream {
  process: ChildProcess;
  origin: string;
  stop(): Promise<void>;
}

/**
 * The emulator as a process of its own (`npm run emulator`), as a real account is to the server:
 * its work is then neither the server's nor the load generator's.
 */
export async function startEmulatorProcess(args: string[] = []): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ["src/emulator/cli.ts", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const values = await new Promise<Record<string, string>>((resolve, reject) => {
    let out = "";
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const lines = Object.fromEntries(
        out
          .split("\n")
          .filter((line) => line.includes("="))
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      );
      if (lines.accountHash === undefined) return;
      child.stdout?.off("data", read);
      child.stdout?.resume();
      resolve(lines);
    };
    child.stdout?.on("data", read);
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}: ${out}`)));
  });
  const baseUrl = values.baseUrl as string;
  return {
    process: child,
    origin: new URL(baseUrl).origin,
    baseUrl,
    batchBaseUrl: values.batchBaseUrl as string,
    accountId: values.accountId as string,
    token: values.token as string,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
