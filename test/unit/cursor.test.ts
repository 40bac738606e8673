import { describe, expect, it } from "vitest";
import { createCursorCodec, type EdgePosition, MAX_CURSOR_CHARS } from "../../src/pagination/cursor.ts";
import { InMemoryTokenChainMemo } from "../../src/pagination/token-chain.ts";

const codec = createCursorCodec("unit-secret");
const token = (c: string) => c.repeat(64);
const position: EdgePosition = {
  fingerprint: "f1",
  readOrder: "desc",
  token: token("a"),
  offset: 7,
  perPage: 1000,
  imageKey: "abcdefgh",
  nextToken: null,
  back: [
    { token: token("b"), perPage: 10 },
    { token: token("c"), perPage: 10_000 },
    { token: null, perPage: 25 },
  ],
};

describe("cursor codec", () => {
  it("round-trips a position, its next token and the pages before it", () => {
    expect(codec.decode(codec.encode(position), "f1")).toEqual(position);
    const { nextToken: _, ...mid } = position;
    expect(codec.decode(codec.encode(mid), "f1")).toEqual(mid);
  });

  it("stays within 1 KB by dropping the farthest pages before, never the position", () => {
    const many = {
      ...position,
      nextToken: token("n"),
      back: "defghijk".split("").map((c) => ({ token: token(c), perPage: 9999 })),
    };
    const cursor = codec.encode(many);
    expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_CHARS);
    const decoded = codec.decode(cursor, "f1");
    expect(decoded.back.length).toBeGreaterThan(0);
    expect(decoded.back).toEqual(many.back.slice(0, decoded.back.length));
    expect({ ...decoded, back: [] }).toEqual({ ...many, back: [] });
  });

  it("refuses cursors of another key, another query, or edited in any byte", () => {
    const cursor = codec.encode(position);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as { extensions?: { code?: string } }).extensions?.code;
      }
      return "accepted";
    };
    expect(code(() => createCursorCodec("other").decode(cursor, "f1"))).toBe("BAD_USER_INPUT");
    expect(code(() => codec.decode(cursor, "f2"))).toBe("BAD_USER_INPUT");
    const bytes = Buffer.from(cursor, "base64url");
    for (let i = 0; i < bytes.length; i += 7) {
      const edited = Buffer.from(bytes);
      edited[i] = (edited[i] as number) ^ 0x01;
      expect(code(() => codec.decode(edited.toString("base64url"), "f1"))).toBe("BAD_USER_INPUT");
    }
  });
});

describe("token-chain memo", () => {
  it("answers the page that ended at a boundary, per chain, and forgets the least recently used first", async () => {
    const memo = new InMemoryTokenChainMemo(2);
    await memo.remember("list-a", "t1", { token: null, perPage: 10 });
    await memo.remember("list-b", "t1", { token: "x", perPage: 20 });
    expect(await memo.previous("list-a", "t1")).toEqual({ token: null, perPage: 10 });
    await memo.remember("list-a", "t2", { token: "t1", perPage: 10 });
    expect(await memo.previous("list-b", "t1")).toBeUndefined();
    expect(await memo.previous("list-a", "t1")).toEqual({ token: null, perPage: 10 });
    expect(await memo.previous("list-a", "t2")).toEqual({ token: "t1", perPage: 10 });
  });
});
