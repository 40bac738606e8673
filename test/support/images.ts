import { expect } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import type { WireImage } from "../../src/emulator/wire.ts";
import type { ApiAnswer, TestEmulator } from "./emulator.ts";

export type { WireImage };

export interface FilePart {
  bytes: Uint8Array;
  name: string;
  type?: string;
}

/** An upload form: the given text fields, plus a file part unless `file` is null. */
export function imageForm(fields: Record<string, string> = {}, file: FilePart | null = pngPart()): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (file)
    form.append("file", new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.type ?? "" }), file.name);
  return form;
}

export function pngPart(name = "photo.png", bytes: Uint8Array = samplePng(4, 4)): FilePart {
  return { bytes, name, type: "image/png" };
}

export function upload(
  emulator: TestEmulator,
  fields: Record<string, string> = {},
  file: FilePart | null = pngPart(),
): Promise<ApiAnswer<WireImage>> {
  return emulator.api<WireImage>("POST", "/v1", { form: imageForm(fields, file) });
}

/** Uploads and insists on success; returns the image. */
export async function uploaded(
  emulator: TestEmulator,
  fields: Record<string, string> = {},
  file: FilePart | null = pngPart(),
): Promise<WireImage> {
  const answer = await upload(emulator, fields, file);
  expect(answer.status, JSON.stringify(answer.body.errors)).toBe(200);
  return answer.body.result;
}

/** What a client can see of the account: every listed image (oldest first) and the stats count. */
export async function accountView(emulator: TestEmulator): Promise<{ images: WireImage[]; current: number }> {
  const list = await emulator.api<{ images: WireImage[] }>("GET", "/v2?per_page=10000&sort_order=asc");
  const stats = await emulator.api<{ count: { current: number } }>("GET", "/v1/stats");
  return { images: list.body.result.images, current: stats.body.result.count.current };
}

/** Asserts a refusal: status and error code, and that the account looks exactly as before. */
export async function expectRefused(
  emulator: TestEmulator,
  act: () => Promise<ApiAnswer<unknown>>,
  status: number,
  code: number,
  message?: RegExp,
): Promise<ApiAnswer<unknown>> {
  const before = await accountView(emulator);
  const answer = await act();
  expect({ status: answer.status, success: answer.body.success, code: answer.body.errors[0]?.code }).toEqual({
    status,
    success: false,
    code,
  });
  expect(answer.body.result).toBeNull();
  if (message) expect(answer.body.errors[0]?.message).toMatch(message);
  expect(await accountView(emulator)).toEqual(before);
  return answer;
}

export async function blobOf(emulator: TestEmulator, id: string): Promise<Response> {
  return fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1/${encodeURIComponent(id)}/blob`, {
    headers: { authorization: `Bearer ${emulator.token}` },
  });
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An API call with a raw body, for bodies the `api` helper cannot make (broken JSON, raw bytes, streams). */
export async function rawApi(
  emulator: TestEmulator,
  method: string,
  path: string,
  body: BodyInit | null,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<unknown>> {
  const response = await fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images${path}`, {
    method,
    headers: { authorization: `Bearer ${emulator.token}`, ...headers },
    body,
    duplex: "half",
  } as RequestInit);
  return { status: response.status, headers: response.headers, body: (await response.json()) as ApiAnswer["body"] };
}
