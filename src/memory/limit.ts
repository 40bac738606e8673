import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A memory limit and where it was learnt. */
export interface MemoryLimit {
  readonly bytes: number;
  readonly source: "cgroup v2" | "cgroup v1" | "MEMORY_LIMIT_MB";
}

/** Where the kernel tells a process about its own cgroups; a test points it at fixture files. */
export interface ProcFiles {
  /** `/proc/self/cgroup` */
  readonly cgroup: string;
  /** `/proc/self/mountinfo` */
  readonly mountinfo: string;
}

const SELF: ProcFiles = { cgroup: "/proc/self/cgroup", mountinfo: "/proc/self/mountinfo" };

// cgroup v1 says "no limit" with the largest page-aligned 64-bit value; anything near it is no limit either.
const UNLIMITED_V1 = 2 ** 60;

/**
 * The memory limit of this process's cgroup (the smallest on the way up to the hierarchy's root,
 * since a parent's limit binds its children too), or undefined when none is set or none can be read.
 */
export function cgroupMemoryLimit(files: ProcFiles = SELF): MemoryLimit | undefined {
  const memberships = readText(files.cgroup);
  const mounts = readText(files.mountinfo);
  if (memberships === undefined || mounts === undefined) return undefined;
  const groups = parseMemberships(memberships);
  const v2 = groups.get("");
  const v1 = groups.get("memory");
  if (v1 !== undefined) {
    const mount = findMount(mounts, (type, options) => type === "cgroup" && options.split(",").includes("memory"));
    const limit = mount && smallestLimit(mount, v1, "memory.limit_in_bytes");
    if (limit !== undefined) return { bytes: limit, source: "cgroup v1" };
  }
  if (v2 !== undefined) {
    const mount = findMount(mounts, (type) => type === "cgroup2");
    const limit = mount && smallestLimit(mount, v2, "memory.max");
    if (limit !== undefined) return { bytes: limit, source: "cgroup v2" };
  }
  return undefined;
}

/** `hierarchy-id:controllers:path` lines: the path per controller, `""` for the v2 unified hierarchy. */
export function parseMemberships(text: string): Map<string, string> {
  const groups = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, id, controllers = "", path = "/"] = match;
    if (id === "0" && controllers === "") groups.set("", path);
    for (const controller of controllers.split(",")) if (controller) groups.set(controller, path);
  }
  return groups;
}

interface Mount {
  /** The cgroup path mounted there: `/` on a host, the container's own group inside a namespace. */
  readonly root: string;
  readonly point: string;
}

/** mountinfo(5): `id parent major:minor root point options [tags] - type source superoptions`. */
function findMount(text: string, matches: (type: string, superOptions: string) => boolean): Mount | undefined {
  for (const line of text.split("\n")) {
    const [before, after] = line.split(" - ");
    if (after === undefined || before === undefined) continue;
    const [type = "", , superOptions = ""] = after.split(" ");
    const fields = before.split(" ");
    const root = fields[3];
    const point = fields[4];
    if (root !== undefined && point !== undefined && matches(type, superOptions)) {
      return { root: unescapeMountPath(root), point: unescapeMountPath(point) };
    }
  }
  return undefined;
}

/** mountinfo escapes spaces and a few other bytes as octal (`\040`). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

function smallestLimit(mount: Mount, groupPath: string, file: string): number | undefined {
  // Inside a cgroup namespace the group is the mount's root itself; otherwise it lies below the root.
  const relative = groupPath.startsWith(mount.root) ? groupPath.slice(mount.root.length) : groupPath;
  const parts = relative.split("/").filter(Boolean);
  let smallest: number | undefined;
  for (let depth = parts.length; depth >= 0; depth--) {
    const limit = parseLimit(readText(join(mount.point, ...parts.slice(0, depth), file)));
    if (limit !== undefined && (smallest === undefined || limit < smallest)) smallest = limit;
  }
  return smallest;
}

/** `max` (v2), a huge number (v1), or nothing readable: no limit. */
export function parseLimit(text: string | undefined): number | undefined {
  const value = text?.trim();
  if (!value || !/^\d+$/.test(value)) return undefined;
  const bytes = Number(value);
  return bytes > 0 && bytes < UNLIMITED_V1 ? bytes : undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
