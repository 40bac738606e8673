import type { LaunchConfig } from "../config/memory.ts";
import { sizedFor } from "./sizing.ts";

// MALLOC_ARENA_MAX=1, 2 or 8 and glibc's mmap/trim thresholds made no difference to the RSS a burst
// leaves behind (bench, page of 100 at 50 connections): nothing of glibc's is set here.

/**
 * Node's flags this process lacks to live inside its memory limit: V8's heap sized from it and a
 * small young generation. V8 sizes its heap once, at start, so these take a new process: empty when
 * nothing is missing (or the operator set them), which is also how a relaunched process knows it
 * need not relaunch again.
 */
export function missingNodeFlags(launch: LaunchConfig, execArgv: readonly string[]): string[] {
  const given = [...execArgv, ...launch.nodeOptions];
  const has = (flag: string) => given.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
  const flags: string[] = [];
  // The young generation kept small: V8 would otherwise grow it to 64 MB and keep it committed.
  const { heapMb, semiSpaceMb } = sizedFor(launch.limitBytes);
  if (heapMb !== undefined && !has("--max-old-space-size")) flags.push(`--max-old-space-size=${heapMb}`);
  if (!has("--max-semi-space-size")) flags.push(`--max-semi-space-size=${semiSpaceMb}`);
  return flags;
}

/**
 * Replaces this process with node run with the flags it lacks: same pid, environment and standard
 * streams, so a container's signals and logs are unchanged. Returns when nothing is missing, with
 * `MEMORY_RELAUNCH=off`, or where `process.execve` does not exist (Windows).
 */
export function relaunchSizedForMemory(launch: LaunchConfig): void {
  if (!launch.relaunch || typeof process.execve !== "function") return;
  const flags = missingNodeFlags(launch, process.execArgv);
  if (flags.length === 0) return;
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, ...process.argv.slice(1)]);
}
