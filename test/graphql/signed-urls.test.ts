import { beforeAll, describe, expect, it } from "vitest";
import { useTestStack } from "../support/server.ts";

let clockOffsetMs = 0;
let privateId: string;
let publicId: string;

const stack = useTestStack(() => ({ emulator: { now: () => Date.now() + clockOffsetMs } }));
beforeAll(async () => {
  const created = await stack.emulator.admin("POST", "/images", { count: 1, requireSignedURLs: true });
  privateId = ((await created.json()) as { ids: string[] }).ids[0] as string;
  const open = await stack.emulator.admin("POST", "/images", { count: 1 });
  publicId = ((await open.json()) as { ids: string[] }).ids[0] as string;
  await stack.emulator.api("POST", "/v1/variants", {
    json: {
      id: "open",
      options: { fit: "cover", metadata: "none", width: 50, height: 50 },
      neverRequireSignedURLs: true,
    },
  });
});

interface UrlAnswer {
  image: { url: string; open: string; variants: { name: string; url: string }[] };
}

describe("delivery URLs", () => {
  it("signs URLs of private images so the delivery accepts them until they expire", async () => {
    const answer = await stack.gql<UrlAnswer>(
      `{ image(imageId: "${privateId}") { url(expiresIn: 60) open: url(variant: "open") variants { name url } } }`,
    );
    expect(answer.errors).toBeUndefined();
    const signed = answer.data?.image.url as string;
    expect(new URL(signed).searchParams.get("sig")).toMatch(/^[0-9a-f]{64}$/);
    expect((await fetch(signed)).status).toBe(200);

    const unsigned = new URL(signed);
    unsigned.search = "";
    expect((await fetch(unsigned)).status).toBe(403);

    // A variant that waives signing is served as it is.
    expect(new URL(answer.data?.image.open as string).search).toBe("");
    expect((await fetch(answer.data?.image.open as string)).status).toBe(200);

    clockOffsetMs = 120_000;
    try {
      expect((await fetch(signed)).status).toBe(403);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it("gives public images plain URLs that the delivery serves", async () => {
    const answer = await stack.gql<UrlAnswer>(`{ image(imageId: "${publicId}") { url(variant: "public") } }`);
    const url = answer.data?.image.url as string;
    expect(new URL(url).search).toBe("");
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
  });

  it("refuses unknown variants and out-of-range expiries with BAD_USER_INPUT", async () => {
    for (const args of [`variant: "nope"`, "expiresIn: 0", "expiresIn: 99999999"]) {
      const answer = await stack.gql(`{ image(imageId: "${privateId}") { url(${args}) } }`);
      expect(answer.errors?.[0]?.extensions?.code, args).toBe("BAD_USER_INPUT");
    }
  });
});
