import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { blobOf, pngPart, uploaded } from "../support/images.ts";
import { startTestStack, type TestStack, useTestStack } from "../support/server.ts";

let publicId: string;
let privateId: string;

async function createImages(target: TestStack, body: Record<string, unknown>): Promise<string[]> {
  const response = await target.emulator.admin("POST", "/images", body);
  return ((await response.json()) as { ids: string[] }).ids;
}

/** The image's original bytes, through the API's blob endpoint. */
async function originalBytes(imageId: string): Promise<Buffer> {
  const response = await blobOf(stack.emulator, imageId);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

async function delivered(url: string): Promise<{ status: number; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** Splits a srcset as a browser does: candidates at ", ", each `<url> <width>w`. */
function parseSrcset(srcset: string): { url: string; width: number }[] {
  return srcset.split(", ").map((candidate) => {
    const [url, descriptor, ...rest] = candidate.split(" ");
    expect(rest).toEqual([]);
    expect(descriptor).toMatch(/^\d+w$/);
    return { url: url as string, width: Number.parseInt(descriptor as string, 10) };
  });
}

const slotOf = (url: string) => decodeURIComponent(new URL(url).pathname.split("/").pop() as string);

const stack = useTestStack({ resetEmulatorBeforeEach: true, emulator: { flexibleVariants: true } });
beforeAll(async () => {
  [publicId] = (await createImages(stack, { count: 1 })) as [string];
  [privateId] = (await createImages(stack, { count: 1, requireSignedURLs: true })) as [string];
});

describe("Image.url with a transform", () => {
  it("gives a flexible-variant URL that the delivery serves with the image's bytes", async () => {
    const answer = await stack.gql<{ image: { url: string } }>(
      `query ($id: ID!) {
        image(imageId: $id) {
          url(transform: { width: 320, height: 200, fit: COVER, gravity: FACE, quality: 80, format: WEBP, dpr: 2 })
        }
      }`,
      { id: publicId },
    );
    expect(answer.errors).toBeUndefined();
    const url = answer.data?.image.url as string;
    expect(slotOf(url)).toBe("w=320,h=200,fit=cover,g=face,q=80,f=webp,dpr=2");
    expect(url).toContain(`/${publicId}/`);
    const served = await delivered(url);
    expect(served.status).toBe(200);
    expect(served.bytes.equals(await originalBytes(publicId))).toBe(true);
  });

  it("replaces only the variant slot for a custom id holding slashes", async () => {
    const bytes = samplePng(7, 5);
    const image = await uploaded(stack.emulator, { id: "albums/2026/pic.png" }, pngPart("pic.png", bytes));
    const answer = await stack.gql<{ image: { url: string; srcset: string } }>(
      `query ($id: ID!) { image(imageId: $id) { url(transform: { width: 50 }) srcset(widths: [10]) } }`,
      { id: image.id },
    );
    expect(answer.errors).toBeUndefined();
    const urls = [answer.data?.image.url as string, parseSrcset(answer.data?.image.srcset as string)[0]?.url as string];
    for (const url of urls) {
      expect(new URL(url).pathname).toMatch(/\/albums\/2026\/pic\.png\/w=\d+$/);
      const served = await delivered(url);
      expect(served.status, url).toBe(200);
      expect(served.bytes.equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it("renders every option as Cloudflare names it, and the delivery accepts them all", async () => {
    const answer = await stack.gql<{ image: { url: string } }>(
      `query ($id: ID!, $t: ImageTransformInput) { image(imageId: $id) { url(variant: "public", transform: $t) } }`,
      {
        id: publicId,
        t: {
          width: 100,
          fit: "SCALE_DOWN",
          format: "BASELINE_JPEG",
          dpr: 1.5,
          sharpen: 0.25,
          blur: 3,
          brightness: 1.1,
          contrast: 0.9,
          gamma: 1,
          saturation: 0,
          rotate: 90,
          metadata: "NONE",
          anim: false,
        },
      },
    );
    expect(answer.errors).toBeUndefined();
    const url = answer.data?.image.url as string;
    expect(slotOf(url)).toBe(
      "w=100,fit=scale-down,f=baseline-jpeg,dpr=1.5,sharpen=0.25,blur=3,brightness=1.1,contrast=0.9,gamma=1," +
        "saturation=0,rotate=90,metadata=none,anim=false",
    );
    expect((await delivered(url)).status).toBe(200);
  });
});

describe("Image.srcset", () => {
  it("lists one loading URL per width, ascending, with the common options", async () => {
    const answer = await stack.gql<{ image: { srcset: string } }>(
      `query ($id: ID!) { image(imageId: $id) { srcset(widths: [640, 320, 1280], transform: { fit: COVER, quality: 70 }) } }`,
      { id: publicId },
    );
    expect(answer.errors).toBeUndefined();
    const candidates = parseSrcset(answer.data?.image.srcset as string);
    expect(candidates.map((c) => c.width)).toEqual([320, 640, 1280]);
    const original = await originalBytes(publicId);
    for (const { url, width } of candidates) {
      expect(slotOf(url)).toBe(`w=${width},fit=cover,q=70`);
      const served = await delivered(url);
      expect(served.status, url).toBe(200);
      expect(served.bytes.equals(original)).toBe(true);
    }
  });

  it("costs one per width in the cost limit", async () => {
    const costOf = async (widths: number) => {
      const list = Array.from({ length: widths }, (_, i) => 100 + i).join(", ");
      const answer = await stack.gql(`{ images(first: 1000) { edges { node { srcset(widths: [${list}]) } } } }`);
      expect(answer.errors?.[0]?.extensions?.limit).toBe("cost");
      return answer.errors?.[0]?.extensions?.cost as number;
    };
    expect((await costOf(20)) - (await costOf(10))).toBe(1000 * 10);
    expect(await stack.emulator.counts()).toEqual({});
  });
});

describe("refusals", () => {
  const BAD_ARGUMENTS: [string, string][] = [
    ["url(transform: { width: 0 })", "transform.width"],
    ["url(transform: { width: 12001 })", "transform.width"],
    ["url(transform: { height: -5 })", "transform.height"],
    ["url(transform: { quality: 101 })", "transform.quality"],
    ["url(transform: { dpr: 0 })", "transform.dpr"],
    ["url(transform: { dpr: 11 })", "transform.dpr"],
    ["url(transform: { blur: 0.5 })", "transform.blur"],
    ["url(transform: { rotate: 45 })", "transform.rotate"],
    ["url(transform: {})", "transform"],
    ['url(variant: "thumb", transform: { width: 10 })', "transform"],
    ["url(expiresIn: 60, transform: { width: 10 })", "expiresIn"],
    ["srcset(widths: [])", "widths"],
    ["srcset(widths: [0, 100])", "widths"],
    ["srcset(widths: [100, 20000])", "widths"],
    ["srcset(widths: [100, 100])", "widths"],
    [`srcset(widths: [${Array.from({ length: 21 }, (_, i) => i + 1).join(", ")}])`, "widths"],
    ["srcset(widths: [100], transform: { width: 50 })", "transform.width"],
    ["srcset(widths: [100], transform: { quality: 0 })", "transform.quality"],
  ];

  it("refuses bad options with BAD_USER_INPUT naming the argument, before any upstream call", async () => {
    for (const [field, argument] of BAD_ARGUMENTS) {
      const answer = await stack.gql(`{ image(imageId: "${publicId}") { imageId ${field} } }`);
      expect(answer.status, field).toBe(200);
      // Refused as a whole before execution: no image data at all.
      expect(answer.data?.image ?? null, field).toBeNull();
      expect(answer.errors?.[0]?.extensions?.code, field).toBe("BAD_USER_INPUT");
      expect(answer.errors?.[0]?.extensions?.argument, field).toBe(argument);
      expect(answer.errors?.[0]?.message, field).toContain(`\`${argument}\``);
    }
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("refuses values outside the enums while validating the document", async () => {
    const answer = await stack.gql(`{ image(imageId: "${publicId}") { url(transform: { fit: STRETCH }) } }`);
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(answer.errors?.[0]?.message).toContain("ImageFit");
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("gives a typed error on the field for an image that requires signed URLs, and the rest still resolves", async () => {
    const answer = await stack.gql<{
      image: { imageId: string; named: string; url: string | null; srcset: string | null };
    }>(
      `query ($id: ID!) {
        image(imageId: $id) { imageId named: url url(transform: { width: 100 }) srcset(widths: [100, 200]) }
      }`,
      { id: privateId },
    );
    expect(answer.data?.image.imageId).toBe(privateId);
    expect(answer.data?.image.url).toBeNull();
    expect(answer.data?.image.srcset).toBeNull();
    // The named variant is still signed and loads.
    expect((await delivered(answer.data?.image.named as string)).status).toBe(200);
    const byPath = new Map(answer.errors?.map((e) => [e.path?.join("."), e.extensions]));
    for (const path of ["image.url", "image.srcset"]) {
      expect(byPath.get(path)?.code, path).toBe("BAD_USER_INPUT");
      expect(byPath.get(path)?.reason, path).toBe("SIGNED_URLS_REQUIRED");
      expect(byPath.get(path)?.imageId, path).toBe(privateId);
    }
    expect(answer.errors).toHaveLength(2);
  });

  it("keeps a page whole when one of its images requires signed URLs", async () => {
    const answer = await stack.gql<{ images: { edges: { node: { imageId: string; srcset: string | null } }[] } }>(
      `{ images(first: 10) { edges { node { imageId srcset(widths: [64]) } } } }`,
    );
    const nodes = answer.data?.images.edges.map((e) => e.node) ?? [];
    expect(nodes.map((n) => n.imageId)).toEqual(expect.arrayContaining([publicId, privateId]));
    expect(nodes.filter((n) => n.srcset !== null)).toHaveLength(nodes.length - 1);
    const open = nodes.find((n) => n.imageId === publicId);
    expect((await delivered(parseSrcset(open?.srcset as string)[0]?.url as string)).status).toBe(200);
    expect(nodes.find((n) => n.imageId === privateId)?.srcset).toBeNull();
    expect(answer.errors?.map((e) => e.extensions?.reason)).toEqual(["SIGNED_URLS_REQUIRED"]);
  });
});

describe("FLEXIBLE_VARIANTS=false", () => {
  let closed: TestStack;
  let imageId: string;
  beforeAll(async () => {
    closed = await startTestStack({ env: { FLEXIBLE_VARIANTS: "false" } });
    [imageId] = (await createImages(closed, { count: 1 })) as [string];
    await closed.emulator.reset();
  });
  afterAll(() => closed.close());

  it("refuses transforms and srcsets with a clear error, since such URLs would not load", async () => {
    const answer = await closed.gql(
      `{ image(imageId: "${imageId}") { url(transform: { width: 100 }) } again: image(imageId: "${imageId}") { srcset(widths: [100]) } }`,
    );
    expect(answer.errors?.length).toBeGreaterThan(0);
    for (const error of answer.errors ?? []) {
      expect(error.extensions?.code).toBe("BAD_USER_INPUT");
      expect(error.extensions?.reason).toBe("FLEXIBLE_VARIANTS_OFF");
      expect(error.message).toContain("FLEXIBLE_VARIANTS");
    }
    expect(await closed.emulator.counts()).toEqual({});
    // The emulator has flexible variants off here: the URL the server refused to give would be a 404.
    const plain = (await closed.gql<{ image: { url: string } }>(`{ image(imageId: "${imageId}") { url } }`)).data?.image
      .url as string;
    expect((await delivered(plain.replace(/\/public$/, "/w=100"))).status).toBe(404);
  });
});
