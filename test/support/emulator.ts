import {
  createEmulator,
  type EmulatorOptions,
  type InProcessEmulator,
  type RunningEmulator,
  startEmulator,
} from "../../src/emulator/index.ts";

export interface ApiAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: {
    success: boolean;
    errors: { code: number; message: string }[];
    messages: unknown[];
    result: T;
    result_info?: unknown;
  };
}

export interface TestEmulator extends RunningEmulator {
  /** Calls the API at `<baseUrl>/accounts/<accountId>/images<path>` with the emulator's token. */
  api<T = unknown>(method: string, path: string, init?: ApiInit): Promise<ApiAnswer<T>>;
  /** Request counts per `METHOD /route/template` since the last reset. */
  counts(): Promise<Record<string, number>>;
  /** Clears counters, faults and latency (and restores the data when `data` is true). */
  reset(options?: { data?: boolean }): Promise<void>;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
}

export interface ApiInit {
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** Send no Authorization header. */
  anonymous?: boolean;
}

/** Starts a real emulator on 127.0.0.1 with a random port. */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  return testEmulatorOf(await startEmulator({ host: "127.0.0.1", port: 0, ...options }), fetch);
}

/**
 * The real emulator without a socket: requests go to its handler in this process. Its URLs name a
 * host that never resolves, so nothing can reach it over the network by mistake.
 */
export async function createInProcessTestEmulator(
  options: EmulatorOptions = {},
): Promise<TestEmulator & Pick<InProcessEmulator, "fetch">> {
  const emulator = await createEmulator({ ...options, origin: "http://emulator.invalid" });
  return { ...testEmulatorOf(emulator, emulator.fetch), fetch: emulator.fetch };
}

function testEmulatorOf(emulator: RunningEmulator, send: (request: Request) => Promise<Response>): TestEmulator {
  const admin = (method: string, path: string, body?: unknown) =>
    send(
      new Request(`${emulator.origin}/__emulator${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  return {
    ...emulator,
    async api<T>(method: string, path: string, init: ApiInit = {}): Promise<ApiAnswer<T>> {
      const headers: Record<string, string> = { ...init.headers };
      if (!init.anonymous) headers.authorization ??= `Bearer ${emulator.token}`;
      let body: BodyInit | undefined;
      if (init.json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(init.json);
      } else if (init.form) {
        body = init.form;
      }
      const response = await send(
        new Request(`${emulator.baseUrl}/accounts/${emulator.accountId}/images${path}`, { method, headers, body }),
      );
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as ApiAnswer<T>["body"],
      };
    },
    async counts() {
      return (await (await admin("GET", "/requests")).json()) as Record<string, number>;
    },
    async reset(options = {}) {
      const response = await admin("POST", "/reset", options);
      if (!response.ok) throw new Error(`reset failed: ${response.status}`);
    },
    admin,
  };
}
