import { apiErrors } from "./errors.ts";

/** Reads a request body that must be a JSON object; anything else is a 400. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await request.text());
  } catch {
    throw apiErrors.badRequest("The request body must be valid JSON");
  }
  if (!isPlainObject(parsed)) throw apiErrors.badRequest("The request body must be a JSON object");
  return parsed;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
