import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";

const CLI = "src/emulator/cli.ts";
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function runCli(args: string[]): ChildProcess {
  // Inside vitest, process.execPath is the Node 24 of the `node` dev dependency.
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  running.push(child);
  return child;
}

/** Waits for the `name=value` lines the CLI prints once it listens. */
async function startupLines(child: ChildProcess): Promise<Record<string, string>> {
  let output = "";
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    output += chunk.toString();
    if (/^token=.*$/m.test(output) && output.endsWith("\n") && /^accountHash=/m.test(output)) break;
  }
  return Object.fromEntries(
    output
      .trim()
      .split("\n")
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
}

async function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

describe("emulator CLI", () => {
  it("starts seeded on a free port, prints how to reach it, serves the API, and exits 0 on SIGTERM", async () => {
    const child = runCli(["--port", "0", "--seed"]);
    const printed = await startupLines(child);
    expect(printed.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    expect(printed.batchBaseUrl).toBe(printed.baseUrl?.replace(/\/client\/v4$/, "/batch"));
    expect(printed.accountId).toMatch(/^[0-9a-f]{32}$/);
    expect(printed.token).toBeTruthy();

    const response = await fetch(`${printed.baseUrl}/accounts/${printed.accountId}/images/v1/stats`, {
      headers: { authorization: `Bearer ${printed.token}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { result: { count: { current: number } } };
    expect(body.result.count.current).toBeGreaterThan(0);

    const exit = finished(child);
    child.kill("SIGTERM");
    expect((await exit).code).toBe(0);
  });

  it("uses the given token and account id, keeps data in --data-dir, and exits 0 on SIGINT", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emulator-cli-"));
    try {
      const accountId = "a".repeat(32);
      const child = runCli(["--port", "0", "--token", "cli-token", "--account-id", accountId, "--data-dir", dir]);
      const printed = await startupLines(child);
      expect(printed).toMatchObject({ accountId, token: "cli-token" });
      const base = `${printed.baseUrl}/accounts/${accountId}/images/v1`;
      const created = await fetch(`${base}/keys/from-cli`, {
        method: "PUT",
        headers: { authorization: "Bearer cli-token" },
      });
      expect(created.status).toBe(200);
      const exit = finished(child);
      child.kill("SIGINT");
      expect((await exit).code).toBe(0);

      const restarted = runCli(["--port", "0", "--token", "cli-token", "--account-id", accountId, "--data-dir", dir]);
      const again = await startupLines(restarted);
      const keys = await fetch(`${again.baseUrl}/accounts/${accountId}/images/v1/keys`, {
        headers: { authorization: "Bearer cli-token" },
      });
      const body = (await keys.json()) as { result: { keys: { name: string }[] } };
      expect(body.result.keys.map((k) => k.name)).toContain("from-cli");
      const stopped = finished(restarted);
      restarted.kill("SIGTERM");
      expect((await stopped).code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("turns on flexible variants, new ids on requireSignedURLs changes and the batch token lifetime by flag", async () => {
    const child = runCli([
      "--port",
      "0",
      "--flexible-variants",
      "--new-id-on-signed-urls-change",
      "--batch-token-ttl",
      "120",
    ]);
    const printed = await startupLines(child);
    const auth = { authorization: `Bearer ${printed.token}` };
    const base = `${printed.baseUrl}/accounts/${printed.accountId}/images`;

    const before = Date.now();
    const tokenAnswer = await fetch(`${base}/v1/batch_token`, { headers: auth });
    const { token, expiresAt } = ((await tokenAnswer.json()) as { result: { token: string; expiresAt: string } })
      .result;
    const lifetime = Date.parse(expiresAt) - before;
    expect(lifetime).toBeGreaterThan(110_000);
    expect(lifetime).toBeLessThanOrEqual(130_000);

    const form = new FormData();
    form.append("file", new Blob([samplePng(4, 4) as Uint8Array<ArrayBuffer>], { type: "image/png" }), "a.png");
    const created = await fetch(`${printed.batchBaseUrl}/images/v1`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(created.status).toBe(200);
    const { id } = ((await created.json()) as { result: { id: string } }).result;
    const flexible = await fetch(
      `${printed.baseUrl?.replace(/\/client\/v4$/, "")}/cdn/${printed.accountHash}/${id}/w=40`,
    );
    expect(flexible.status).toBe(200);

    const patched = await fetch(`${base}/v1/${id}`, {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ requireSignedURLs: true }),
    });
    const renamed = ((await patched.json()) as { result: { id: string } }).result.id;
    expect(renamed).not.toBe(id);
    expect((await fetch(`${base}/v1/${id}`, { headers: auth })).status).toBe(404);

    const exit = finished(child);
    child.kill("SIGTERM");
    expect((await exit).code).toBe(0);
  });

  it("prints the usage with --help and exits 0", async () => {
    const result = await finished(runCli(["--help"]));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run emulator/);
    expect(result.stdout).toContain("--data-dir");
  });

  it.each([
    ["an unknown flag", ["--nope"]],
    ["a positional argument", ["extra"]],
    ["a port that is not a number", ["--port", "http"]],
    ["a port out of range", ["--port", "70000"]],
    ["a negative latency", ["--latency-ms", "-5"]],
    ["a malformed account id", ["--account-id", "XYZ"]],
    ["a flag without its value", ["--token"]],
    ["a batch token lifetime of 0", ["--batch-token-ttl", "0"]],
  ])("refuses %s with the usage on stderr and exit code 2", async (_case, args) => {
    const result = await finished(runCli(args));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Usage: npm run emulator");
    expect(result.stdout).toBe("");
  });
});
