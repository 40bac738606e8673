import { execFile, spawn } from "node:child_process";
import { chown, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { launchOnFreePort, restartable, terminate } from "./child-services.ts";

const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 30_000;
const run = promisify(execFile);

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, what `DATABASE_URL` is set to. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (its data and port are kept for `start`): "PostgreSQL down" for a test. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data, and waits until it answers. */
  start(): Promise<void>;
  /** A fresh, empty database on this server: its URL. */
  createDatabase(): Promise<string>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/**
 * Debian's PostgreSQL on a free port of 127.0.0.1 in a temporary folder, run as the `postgres`
 * user (it refuses root). Resolves once it accepts connections.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = await postgresBinDir();
  const dir = await mkdtemp(join(tmpdir(), "test-postgres-"));
  const data = join(dir, "data");
  // PostgreSQL refuses to run as root: then it runs as Debian's `postgres` user.
  const user = process.getuid?.() === 0 ? await postgresIds() : undefined;
  if (user) await chown(dir, user.uid, user.gid);
  await run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync"], { ...user, cwd: dir });
  const { port, child } = await launchOnFreePort(HOST, dir, (port) => launch(bin, data, dir, port, user));
  // SIGINT is PostgreSQL's fast shutdown: open connections are cut, as when a server goes away.
  const service = restartable(child, () => launch(bin, data, dir, port, user), "SIGINT", 10_000);
  const stop = service.stop;
  let databases = 0;
  const url = (database: string) => `postgres://postgres@${HOST}:${port}/${database}`;
  return {
    url: url("postgres"),
    port,
    stop,
    start: service.start,
    async createDatabase() {
      const name = `test_${++databases}`;
      const client = new pg.Client({ connectionString: url("postgres") });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Debian installs each major version under /usr/lib/postgresql/<version>/bin: the newest one. */
async function postgresBinDir(): Promise<string> {
  const root = "/usr/lib/postgresql";
  const versions = await readdir(root).catch(() => [] as string[]);
  const newest = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) {
    throw new Error("PostgreSQL is not installed: install Debian's postgresql (as .ci/run does)");
  }
  return join(root, newest, "bin");
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run("id", ["postgres"]);
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  if (uid === undefined || gid === undefined) throw new Error("no postgres user: install Debian's postgresql");
  return { uid: Number(uid), gid: Number(gid) };
}

async function launch(bin: string, data: string, dir: string, port: number, user?: { uid: number; gid: number }) {
  const args = ["-D", data, "-p", String(port), "-k", dir, "-h", HOST, "-c", "fsync=off", "-c", "max_connections=200"];
  const child = spawn(join(bin, "postgres"), args, { ...user, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
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
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`postgres exited (${code}) before answering:\n${output}`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const ready = await Promise.race([ping(port), failed]);
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await terminate(child, "SIGINT", 10_000);
  throw new Error(`postgres on port ${port} did not accept connections within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

async function ping(port: number): Promise<boolean> {
  const client = new pg.Client({ host: HOST, port, user: "postgres", database: "postgres" });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
