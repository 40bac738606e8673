import { createHash } from "node:crypto";
import {
  BATCH_PREFIX,
  BatchTokens,
  batchRouter,
  DEFAULT_BATCH_TOKEN_TTL_SECONDS,
  handleBatch,
  registerBatchTokenRoute,
} from "./batch.ts";
import { type EmulatorConfig, type EmulatorContext, type EmulatorLimits, REAL_LIMITS } from "./context.ts";
import { Control, type RateLimitSpec, REAL_RATE_LIMIT } from "./control.ts";
import { apiErrors } from "./errors.ts";
import { ApiError, failureResponse, Router, serve } from "./http.ts";
import { registerAdminRoutes } from "./routes/admin.ts";
import { registerConfigRoutes } from "./routes/config.ts";
import { registerDeliveryRoutes } from "./routes/delivery.ts";
import { registerDirectUploadRoutes, registerUploadUrlRoutes, UPLOAD_URL_CORS } from "./routes/direct-uploads.ts";
import { registerImageRoutes } from "./routes/images.ts";
import { registerKeyRoutes } from "./routes/keys.ts";
import { registerStatsRoutes } from "./routes/stats.ts";
import { registerVariantRoutes } from "./routes/variants.ts";
import { seedSnapshot } from "./seed.ts";
import { EmulatorState, emptySnapshot, type Snapshot } from "./state.ts";
import { DirectoryStore, MemoryBlobStore, memorySnapshots } from "./storage.ts";

export const EMULATOR_DEFAULTS = {
  host: "127.0.0.1",
  port: 8790,
  token: "local-emulator-token",
  accountId: "0123456789abcdef0123456789abcdef",
} as const;

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
  accountId?: string;
  /** Load the sample images, variants and signing key (ignored when `dataDir` already holds state). */
  seed?: boolean;
  /** Keep state and bytes in this folder across restarts; in memory when absent. */
  dataDir?: string;
  /** Latency added to every counted request. */
  latencyMs?: number;
  /** `true` for the real limits (1,200 per 5 minutes, then 5 minutes of 429s). Off by default. */
  rateLimit?: boolean | RateLimitSpec;
  limits?: Partial<EmulatorLimits>;
  /** Lifetime of the batch tokens `GET /v1/batch_token` hands out (default 30 minutes). */
  batchTokenTtlSeconds?: number;
  /** Flexible variants on or off at start, whatever the data says (`seed` alone turns them on). */
  flexibleVariants?: boolean;
  /** A `requireSignedURLs` change gives the image a new id (the old one then 404s). Off by default. */
  newIdOnSignedUrlsChange?: boolean;
  /** Clock, for tests of expiry. */
  now?: () => number;
}

export interface RunningEmulator {
  /** `http://host:port/client/v4`: the base URL a Cloudflare client is given. */
  baseUrl: string;
  /** `http://host:port/batch`: the batch host (upstream: https://batch.imagedelivery.net). */
  batchBaseUrl: string;
  origin: string;
  accountId: string;
  accountHash: string;
  token: string;
  close(): Promise<void>;
}

const API_PREFIX = "/client/v4";

/**
 * The emulator without a socket: its request handler, for `origin` (delivery and one-time upload
 * URLs point there). Tests below the network hand it requests in process; `startEmulator` serves it.
 */
export interface InProcessEmulator extends RunningEmulator {
  /** Answers one request exactly as the listening emulator would; `DROP_CONNECTION` for a dropped one. */
  fetch(request: Request): Promise<Response>;
}

export async function createEmulator(options: EmulatorOptions & { origin: string }): Promise<InProcessEmulator> {
  const { handler, config } = await assemble(options);
  config.origin = new URL(options.origin).origin;
  return { ...addressesOf(config), fetch: handler, close: async () => {} };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const { handler, config } = await assemble(options);
  const listening = await serve(handler, {
    host: options.host ?? EMULATOR_DEFAULTS.host,
    port: options.port ?? EMULATOR_DEFAULTS.port,
  });
  config.origin = listening.url.origin;
  return { ...addressesOf(config), close: listening.close };
}

function addressesOf(config: EmulatorConfig): Omit<RunningEmulator, "close"> {
  return {
    baseUrl: `${config.origin}${API_PREFIX}`,
    batchBaseUrl: `${config.origin}${BATCH_PREFIX}`,
    origin: config.origin,
    accountId: config.accountId,
    accountHash: config.accountHash,
    token: config.token,
  };
}

async function assemble(
  options: EmulatorOptions,
): Promise<{ handler: (request: Request) => Promise<Response>; config: EmulatorConfig }> {
  const accountId = options.accountId ?? EMULATOR_DEFAULTS.accountId;
  const token = options.token ?? EMULATOR_DEFAULTS.token;
  const now = options.now ?? Date.now;

  let blobs = new MemoryBlobStore() as MemoryBlobStore | DirectoryStore;
  let snapshots = memorySnapshots as typeof memorySnapshots | DirectoryStore;
  let stored: Snapshot | undefined;
  if (options.dataDir) {
    const directory = new DirectoryStore(options.dataDir);
    await directory.init();
    stored = await directory.load();
    blobs = directory;
    snapshots = directory;
  }
  const loaded = stored ?? (options.seed ? await seedSnapshot(blobs, now) : emptySnapshot());
  const initial =
    options.flexibleVariants === undefined
      ? loaded
      : { ...loaded, config: { ...loaded.config, flexibleVariants: options.flexibleVariants } };
  const state = new EmulatorState(blobs, snapshots, initial);
  if (initial !== stored) await state.write(() => undefined);
  if (blobs instanceof DirectoryStore) {
    await blobs.removeOrphans(new Set(state.snapshot().images.flatMap((i) => (i.file ? [i.file.blobKey] : []))));
  }

  const rateLimit = options.rateLimit === true ? REAL_RATE_LIMIT : options.rateLimit || undefined;
  const control = new Control({ latencyMs: options.latencyMs ?? 0, rateLimit, now });
  const config: EmulatorConfig = {
    accountId,
    accountHash: accountHashOf(accountId),
    token,
    origin: "",
    limits: { ...REAL_LIMITS, ...options.limits },
    newIdOnSignedUrlsChange: options.newIdOnSignedUrlsChange ?? false,
  };
  const batchTokens = new BatchTokens(options.batchTokenTtlSeconds ?? DEFAULT_BATCH_TOKEN_TTL_SECONDS);
  const context: EmulatorContext = { state, control, config, batchTokens, now };

  const api = new Router<EmulatorContext>();
  registerImageRoutes(api);
  registerDirectUploadRoutes(api);
  registerVariantRoutes(api);
  registerKeyRoutes(api);
  registerStatsRoutes(api);
  registerConfigRoutes(api);
  registerBatchTokenRoute(api);
  const batch = batchRouter(api);
  const open = new Router<EmulatorContext>();
  registerDeliveryRoutes(open);
  registerUploadUrlRoutes(open);
  const admin = new Router<EmulatorContext>();
  registerAdminRoutes(admin, { initial });

  return { handler: (request) => handle(request, { api, batch, open, admin, context }), config };
}

/** A stable 22-character base64url hash, the shape of the real account hashes. */
export function accountHashOf(accountId: string): string {
  return createHash("sha256").update(`account-hash:${accountId}`).digest("base64url").slice(0, 22);
}

interface Routers {
  api: Router<EmulatorContext>;
  batch: Router<EmulatorContext>;
  open: Router<EmulatorContext>;
  admin: Router<EmulatorContext>;
  context: EmulatorContext;
}

async function handle(request: Request, { api, batch, open, admin, context }: Routers): Promise<Response> {
  const { pathname } = new URL(request.url);
  try {
    if (pathname.startsWith("/__emulator/")) {
      const match = admin.match(request.method, pathname);
      if (!match || match === "method") throw apiErrors.noRoute();
      return await match.handler(request, match.params, context);
    }
    if (pathname.startsWith(`${API_PREFIX}/`))
      return await handleApi(request, pathname.slice(API_PREFIX.length), api, context);
    if (pathname.startsWith(`${BATCH_PREFIX}/`))
      return await handleBatch(request, pathname.slice(BATCH_PREFIX.length), batch, context);
    const match = open.match(request.method, pathname);
    if (!match || match === "method") throw apiErrors.noRoute();
    const refused = await context.control.admit(request.method, match.route.slice(request.method.length + 1), false);
    return withUploadCors(pathname, refused ?? (await match.handler(request, match.params, context)));
  } catch (error) {
    return withUploadCors(pathname, failureResponse(toApiError(error)));
  }
}

function withUploadCors(pathname: string, response: Response): Response {
  if (!pathname.startsWith("/upload/")) return response;
  for (const [name, value] of Object.entries(UPLOAD_URL_CORS)) response.headers.set(name, value);
  return response;
}

async function handleApi(
  request: Request,
  path: string,
  api: Router<EmulatorContext>,
  context: EmulatorContext,
): Promise<Response> {
  const match = api.match(request.method, path);
  const route = match && match !== "method" ? match.route.slice(request.method.length + 1) : "(no route)";
  const refused = await context.control.admit(request.method, route);
  if (refused) return refused;
  let response: Response;
  try {
    authenticate(request, context.config);
    if (!match) throw apiErrors.noRoute();
    if (match === "method") throw apiErrors.methodNotAllowed();
    checkAccount(match.params.account_id ?? "", path, context.config);
    response = await match.handler(request, match.params, context);
  } catch (error) {
    response = failureResponse(toApiError(error));
  }
  for (const [name, value] of Object.entries(context.control.rateLimitHeaders())) response.headers.set(name, value);
  return response;
}

function authenticate(request: Request, config: EmulatorConfig): void {
  const authorization = request.headers.get("authorization");
  const apiKey = request.headers.get("x-auth-key");
  if (authorization === null) {
    if (apiKey === null) throw apiErrors.missingAuth();
    // The legacy email + global key pair: the emulator's token stands for the key.
    if (!request.headers.get("x-auth-email") || apiKey !== config.token) throw apiErrors.authentication();
    return;
  }
  const match = /^Bearer ([^\s]+)$/.exec(authorization);
  if (!match) throw apiErrors.malformedAuth();
  if (match[1] !== config.token) throw apiErrors.authentication();
}

function checkAccount(accountId: string, path: string, config: EmulatorConfig): void {
  if (accountId === config.accountId) return;
  if (!/^[0-9a-f]{32}$/.test(accountId)) throw apiErrors.invalidObjectIdentifier(`${API_PREFIX}${path}`);
  // A well-formed id of an account the token has no access to.
  throw apiErrors.authentication();
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  console.error("emulator: unexpected error", error);
  return new ApiError(500, [{ code: 10001, message: "Internal error" }]);
}
