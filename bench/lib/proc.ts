import { readFile } from "node:fs/promises";

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux everywhere in practice). */
const TICKS_PER_SECOND = 100;

/** The user + system CPU time another process has used so far, as its own `process.cpuUsage()` would sum it. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces: count from the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / TICKS_PER_SECOND) * 1000;
}

/** Resident memory of a process now, in MB. */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Samples resident memory every 50 ms until `stop`, which returns the peak in MB. */
export function watchRss(pid: number) {
  let peak = 0;
  const sample = async () => {
    peak = Math.max(peak, await rssMb(pid));
  };
  const timer = setInterval(() => void sample(), 50);
  void sample();
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/**
 * Resident memory split: `anon` is the process's own (heap, stacks, buffers); `file` is mapped
 * files, mostly the node binary's own pages, which every Node process shares and the kernel can drop.
 */
export async function rssSplitMb(pid: number): Promise<{ rss: number; anon: number; file: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const field = (name: string) => Math.round(Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
  return { rss: field("VmRSS"), anon: field("RssAnon"), file: field("RssFile") };
}
