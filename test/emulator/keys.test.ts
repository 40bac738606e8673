import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

interface Key {
  name: string;
  value: string;
}

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset({ data: true }));

async function listKeys(): Promise<Key[]> {
  const answer = await emulator.api<{ keys: Key[] }>("GET", "/v1/keys");
  expect(answer.status).toBe(200);
  return answer.body.result.keys;
}

describe("signing keys", () => {
  it("lists the account's default key", async () => {
    const keys = await listKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]?.name).toBe("default");
    expect(keys[0]?.value.length).toBeGreaterThanOrEqual(32);
  });

  it("creates a key with PUT and answers with every key", async () => {
    const answer = await emulator.api<{ keys: Key[] }>("PUT", "/v1/keys/mobile-app");
    expect(answer.status).toBe(200);
    expect(answer.body.result.keys.map((k) => k.name)).toEqual(["default", "mobile-app"]);
    const created = answer.body.result.keys[1] as Key;
    expect(created.value).not.toBe(answer.body.result.keys[0]?.value);
    expect(await listKeys()).toEqual(answer.body.result.keys);
  });

  it("rotates an existing key: PUT again gives it a new value in the same place", async () => {
    await emulator.api("PUT", "/v1/keys/second");
    const before = await listKeys();
    const answer = await emulator.api<{ keys: Key[] }>("PUT", "/v1/keys/default");
    const after = answer.body.result.keys;
    expect(after.map((k) => k.name)).toEqual(["default", "second"]);
    expect(after[0]?.value).not.toBe(before[0]?.value);
    expect(after[1]?.value).toBe(before[1]?.value);
  });

  it.each([
    ["longer than 20 characters", "a".repeat(21)],
    ["with a dot", "my.key"],
    ["with a space", "my%20key"],
    ["with unicode", "cl%C3%A9"],
  ])("refuses a key name %s with 400/5400", async (_case, name) => {
    const answer = await emulator.api("PUT", `/v1/keys/${name}`);
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]?.code).toBe(5400);
    expect(await listKeys()).toHaveLength(1);
  });

  it("accepts a 20-character name", async () => {
    const answer = await emulator.api<{ keys: Key[] }>("PUT", `/v1/keys/${"K".repeat(20)}`);
    expect(answer.status).toBe(200);
    expect(answer.body.result.keys).toHaveLength(2);
  });

  it("deletes a key and answers with the remaining keys", async () => {
    await emulator.api("PUT", "/v1/keys/temporary");
    const before = await listKeys();
    const answer = await emulator.api<{ keys: Key[] }>("DELETE", "/v1/keys/temporary");
    expect(answer.status).toBe(200);
    expect(answer.body.result.keys).toEqual(before.filter((k) => k.name !== "temporary"));
    expect(await listKeys()).toEqual(answer.body.result.keys);
  });

  it("deleting the default key while another exists leaves only the other", async () => {
    await emulator.api("PUT", "/v1/keys/other");
    const answer = await emulator.api<{ keys: Key[] }>("DELETE", "/v1/keys/default");
    expect(answer.body.result.keys.map((k) => k.name)).toEqual(["other"]);
  });

  it("regenerates a default key with a new value when the last key is deleted", async () => {
    const [original] = await listKeys();
    const answer = await emulator.api<{ keys: Key[] }>("DELETE", "/v1/keys/default");
    expect(answer.status).toBe(200);
    const keys = answer.body.result.keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]?.name).toBe("default");
    expect(keys[0]?.value).not.toBe(original?.value);
    expect(await listKeys()).toEqual(keys);
  });

  it("regenerates the default key also when the last key has another name", async () => {
    await emulator.api("PUT", "/v1/keys/only");
    await emulator.api("DELETE", "/v1/keys/default");
    const answer = await emulator.api<{ keys: Key[] }>("DELETE", "/v1/keys/only");
    expect(answer.body.result.keys.map((k) => k.name)).toEqual(["default"]);
  });

  it("answers 404/5404 for deleting an unknown key and changes nothing", async () => {
    const before = await listKeys();
    const answer = await emulator.api("DELETE", "/v1/keys/unknown");
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ success: false, result: null, errors: [{ code: 5404 }] });
    expect(await listKeys()).toEqual(before);
  });

  it("answers 405 for methods the keys routes do not have", async () => {
    expect((await emulator.api("POST", "/v1/keys/x")).status).toBe(405);
    expect((await emulator.api("GET", "/v1/keys/default")).status).toBe(405);
  });
});
