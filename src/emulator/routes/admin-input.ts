import type { FaultSpec, RateLimitSpec } from "../control.ts";
import { ApiError } from "../http.ts";
import { isPlainObject } from "../json-body.ts";

/** Admin input errors use the API's failure envelope, so every client of the emulator reads one shape. */
export function adminInputError(message: string): ApiError {
  return new ApiError(400, [{ code: 5400, message: `Admin: ${message}` }]);
}

type AdminBody = Record<string, unknown>;

/** An empty body reads as `{}`; arrays only where a list is accepted (faults). */
export async function readAdminBody(request: Request, options: { allowArray: true }): Promise<AdminBody | AdminBody[]>;
export async function readAdminBody(request: Request): Promise<AdminBody>;
export async function readAdminBody(
  request: Request,
  options?: { allowArray: true },
): Promise<AdminBody | AdminBody[]> {
  const text = await request.text();
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw adminInputError("the body must be JSON");
  }
  if (options?.allowArray && Array.isArray(parsed) && parsed.every(isPlainObject)) return parsed;
  if (!isPlainObject(parsed))
    throw adminInputError(options?.allowArray ? "expected an object or an array of objects" : "expected a JSON object");
  return parsed;
}

export function integerField(body: AdminBody, name: string, min: number, max: number): number | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw adminInputError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function requiredInteger(body: AdminBody, name: string, min: number, max: number): number {
  const value = integerField(body, name, min, max);
  if (value === undefined) throw adminInputError(`${name} is required`);
  return value;
}

function methodField(body: AdminBody): string | undefined {
  const value = body.method;
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^([A-Za-z]+|\*)$/.test(value))
    throw adminInputError("method must be an HTTP method or *");
  return value.toUpperCase();
}

/** A route template as counted (`/accounts/{account_id}/images/v1/{image_id}`), or `*`. */
function routeField(body: AdminBody): string | undefined {
  const value = body.route;
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !(value === "*" || value.startsWith("/"))) {
    throw adminInputError("route must be a route template starting with / (as in /__emulator/requests) or *");
  }
  return value;
}

export interface LatencySetting {
  ms: number;
  method: string;
  route: string | undefined;
}

/** Without a route: latency for every request. With one: for that route (every method unless `method` is given). */
export function parseLatency(body: AdminBody): LatencySetting {
  const ms = requiredInteger(body, "ms", 0, 60_000);
  const method = methodField(body);
  const route = routeField(body);
  if (route === undefined && method !== undefined) throw adminInputError("method needs a route");
  return { ms, method: method ?? "*", route: route === "*" ? undefined : route };
}

export function parseFaults(body: AdminBody | AdminBody[]): FaultSpec[] {
  const specs = Array.isArray(body) ? body : [body];
  if (specs.length === 0) throw adminInputError("expected at least one fault");
  return specs.map(parseFault);
}

function parseFault(body: AdminBody): FaultSpec {
  const fault: FaultSpec = {
    method: methodField(body) ?? "*",
    route: routeField(body) ?? "*",
    count: integerField(body, "count", 1, 1_000_000) ?? 1,
  };
  const status = integerField(body, "status", 400, 599);
  if (status !== undefined) fault.status = status;
  const retryAfter = integerField(body, "retryAfter", 0, 86_400);
  if (retryAfter !== undefined) fault.retryAfter = retryAfter;
  if (body.drop !== undefined) {
    if (typeof body.drop !== "boolean") throw adminInputError("drop must be a boolean");
    fault.drop = body.drop;
  }
  if (body.errors !== undefined) fault.errors = parseErrorItems(body.errors);
  return fault;
}

function parseErrorItems(value: unknown): { code: number; message: string }[] {
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((e) => isPlainObject(e) && Number.isInteger(e.code) && typeof e.message === "string");
  if (!valid) throw adminInputError("errors must be a non-empty array of {code: integer, message: string}");
  return (value as { code: number; message: string }[]).map(({ code, message }) => ({ code, message }));
}

/** `{enabled: false}` turns the limiter off; `{enabled: true}` alone uses the real limits. */
export function parseRateLimit(body: AdminBody, real: RateLimitSpec): RateLimitSpec | undefined {
  if (body.enabled !== undefined && typeof body.enabled !== "boolean")
    throw adminInputError("enabled must be a boolean");
  if (body.enabled === false) return undefined;
  const hasNumbers = ["limit", "windowSeconds", "blockSeconds"].some((name) => body[name] !== undefined);
  const batch =
    body.batchPerSecond === undefined ? {} : { batchPerSecond: requiredInteger(body, "batchPerSecond", 1, 1_000_000) };
  if (body.enabled === true && !hasNumbers) return { ...real, ...batch };
  return {
    limit: requiredInteger(body, "limit", 1, 1_000_000),
    windowSeconds: requiredInteger(body, "windowSeconds", 1, 86_400),
    blockSeconds: requiredInteger(body, "blockSeconds", 0, 86_400),
    ...batch,
  };
}
