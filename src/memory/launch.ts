import { EnvReader } from "../config.ts";
import { readMemoryConfig, sizedFor } from "./settings.ts";

/** Node's young generation kept small: V8 would otherwise grow it to 64 MB and keep it committed. */
const SEMI_SPACE_MB = 8;

// MALLOC_ARENA_MAX=1, 2 or 8 and glibc's mmap/trim thresholds made no difference to the RSS a burst
// leaves behind (bench, page of 100 at 50 connections): nothing of glibc's is set here.
export interface Relaunch {
  /** Node's own flags to add before the script. */
  readonly nodeFlags: readonly string[];
}

/**
 * What this process lacks to live inside its memory limit: V8's heap sized from it and a small
 * young generation. V8 sizes its heap once, at start, so these take a new process: undefined when
 * nothing is missing (or the operator set them), which is also how a relaunched process knows it
 * need not relaunch again.
 */
export function relaunchFor(
  env: Readonly<Record<string, string | undefined>>,
  execArgv: readonly string[],
): Relaunch | undefined {
  const problems: string[] = [];
  const memory = readMemoryConfig(new EnvReader(env, problems));
  // A bad setting is reported by the configuration, in the process that serves.
  if (problems.length > 0) return undefined;
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)];
  const has = (flag: string) => given.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
  const nodeFlags: string[] = [];
  const { heapMb } = sizedFor(memory.limit?.bytes);
  if (heapMb !== undefined && !has("--max-old-space-size")) nodeFlags.push(`--max-old-space-size=${heapMb}`);
  if (!has("--max-semi-space-size")) nodeFlags.push(`--max-semi-space-size=${SEMI_SPACE_MB}`);
  return nodeFlags.length === 0 ? undefined : { nodeFlags };
}

/**
 * Replaces this process with node run with what `relaunchFor` found missing: same pid, same
 * standard streams, so a container's signals and logs are unchanged. Returns when nothing is
 * missing, when `MEMORY_RELAUNCH=off` (the operator starts node with its flags), or where
 * `process.execve` does not exist (Windows).
 */
export function relaunchSizedForMemory(env: Readonly<Record<string, string | undefined>>): void {
  if (env.MEMORY_RELAUNCH === "off" || typeof process.execve !== "function") return;
  const relaunch = relaunchFor(env, process.execArgv);
  if (!relaunch) return;
  const args = [process.execPath, ...process.execArgv, ...relaunch.nodeFlags, ...process.argv.slice(1)];
  const nextEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) nextEnv[name] = value;
  process.execve(process.execPath, args, nextEnv);
}
