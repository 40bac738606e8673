import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Snapshot } from "./state.ts";

/** Image bytes, kept apart from the metadata. */
export interface BlobStore {
  put(bytes: Uint8Array): Promise<string>;
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
}

export interface SnapshotStore {
  readonly persistent: boolean;
  load(): Promise<Snapshot | undefined>;
  save(snapshot: Snapshot): Promise<void>;
}

export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, Uint8Array>();

  async put(bytes: Uint8Array): Promise<string> {
    const key = randomUUID();
    this.#blobs.set(key, bytes);
    return key;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#blobs.get(key);
  }

  async delete(key: string): Promise<void> {
    this.#blobs.delete(key);
  }
}

export const memorySnapshots: SnapshotStore = {
  persistent: false,
  load: async () => undefined,
  save: async () => undefined,
};

/** `<dir>/blobs/<key>` for bytes, `<dir>/state.json` for metadata, each written whole or not at all. */
export class DirectoryStore implements BlobStore, SnapshotStore {
  readonly persistent = true;
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async init(): Promise<void> {
    await mkdir(join(this.#dir, "blobs"), { recursive: true });
  }

  async put(bytes: Uint8Array): Promise<string> {
    const key = randomUUID();
    await writeAtomically(join(this.#dir, "blobs", key), bytes);
    return key;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(join(this.#dir, "blobs", key)));
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(join(this.#dir, "blobs", key), { force: true });
  }

  async load(): Promise<Snapshot | undefined> {
    try {
      return JSON.parse(await readFile(join(this.#dir, "state.json"), "utf8")) as Snapshot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async save(snapshot: Snapshot): Promise<void> {
    await writeAtomically(join(this.#dir, "state.json"), JSON.stringify(snapshot));
  }

  /** Deletes bytes no image refers to: left by a write that failed before its metadata landed. */
  async removeOrphans(referenced: Set<string>): Promise<void> {
    for (const name of await readdir(join(this.#dir, "blobs"))) {
      if (!referenced.has(name)) await rm(join(this.#dir, "blobs", name), { force: true });
    }
  }
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}
