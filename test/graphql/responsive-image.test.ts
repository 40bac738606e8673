import { describe, expect, it } from "vitest";
import { jpeg } from "../support/facts-files.ts";
import { uploaded } from "../support/images.ts";
import { startTestStack, useTestStack } from "../support/server.ts";
import { gqlMultipart } from "../support/uploads.ts";

interface Responsive {
  src: string;
  srcSet: string;
  sizes: string;
  width: number | null;
  height: number | null;
  aspectRatio: number | null;
  placeholder: { dataURL: string; dominantColor: string } | null;
}

const FIELDS = "src srcSet sizes width height aspectRatio placeholder { dataURL dominantColor }";

const stack = useTestStack({ resetEmulatorBeforeEach: true, emulator: { flexibleVariants: true } });

/** Uploaded through the facade, so its facts are known at once: 1000 × 500. */
async function wideImage(input: Record<string, unknown> = {}): Promise<string> {
  const file = await jpeg(1000, 500);
  const answer = await gqlMultipart<{ uploadImage: { image: { imageId: string; factsStatus: string } } }>(
    stack,
    `mutation ($input: UploadImageInput!) { uploadImage(input: $input) { ... on UploadImagePayload { image { imageId factsStatus } } } }`,
    { input: { ...input, file: null } },
    [{ path: "variables.input.file", bytes: file.bytes, name: "wide.jpg", type: "image/jpeg" }],
  );
  expect(answer.data?.uploadImage.image.factsStatus).toBe("READY");
  return answer.data?.uploadImage.image.imageId as string;
}

function candidates(srcSet: string): { url: string; width: number }[] {
  return srcSet.split(", ").map((candidate) => {
    const [url, descriptor] = candidate.split(" ");
    return { url: url as string, width: Number.parseInt(descriptor as string, 10) };
  });
}

async function responsive(id: string, args = "") {
  return stack.gql<{ image: { responsiveImage: Responsive | null } }>(
    `query ($id: ID!) { image(imageId: $id) { responsiveImage${args} { ${FIELDS} } } }`,
    { id },
  );
}

async function expectAllLoad(srcSet: string): Promise<void> {
  for (const { url } of candidates(srcSet)) expect((await fetch(url)).status, url).toBe(200);
}

describe("Image.responsiveImage of a public image", () => {
  it("gives flexible-variant URLs no wider than the image, its size, aspect ratio and placeholder", async () => {
    const id = await wideImage();
    const answer = await responsive(id, "(widths: [1280, 320, 640], transform: { format: WEBP })");
    expect(answer.errors).toBeUndefined();
    const image = answer.data?.image.responsiveImage as Responsive;
    const listed = candidates(image.srcSet);
    expect(listed.map((c) => c.width)).toEqual([320, 640]);
    expect(listed.map((c) => new URL(c.url).pathname.split("/").pop())).toEqual(["w=320,f=webp", "w=640,f=webp"]);
    expect(image).toMatchObject({ src: listed[1]?.url, width: 640, height: 320, aspectRatio: 2 });
    expect(image.sizes).toBe("(max-width: 640px) 100vw, 640px");
    expect(image.placeholder?.dataURL).toMatch(/^data:image\/png;base64,/);
    await expectAllLoad(image.srcSet);
  });

  it("answers at once for an image whose facts are not known yet: URLs, no size", async () => {
    const id = (await uploaded(stack.emulator)).id;
    const answer = await responsive(id, '(widths: [100, 200], sizes: "50vw")');
    expect(answer.data?.image.responsiveImage).toMatchObject({
      sizes: "50vw",
      width: null,
      height: null,
      aspectRatio: null,
      placeholder: null,
    });
    expect(candidates(answer.data?.image.responsiveImage?.srcSet as string).map((c) => c.width)).toEqual([100, 200]);
  });

  it("refuses bad widths before any upstream call", async () => {
    const id = await wideImage();
    await stack.emulator.reset();
    const answer = await responsive(id, "(widths: [0])");
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await stack.emulator.counts()).toEqual({});
  });
});

describe("Image.responsiveImage of an image that requires signed URLs", () => {
  it("uses the named variants that keep the aspect ratio, at the size each gives, every URL signed", async () => {
    for (const [id, fit, width, height] of [
      ["small", "scale-down", 200, 200],
      ["medium", "contain", 500, 500],
      ["square", "cover", 300, 300],
    ] as const) {
      const created = await stack.emulator.api("POST", "/v1/variants", {
        json: { id, options: { fit, metadata: "none", width, height } },
      });
      expect(created.status).toBe(200);
    }
    try {
      const id = await wideImage({ requireSignedURLs: true });
      const answer = await responsive(id);
      expect(answer.errors).toBeUndefined();
      const image = answer.data?.image.responsiveImage as Responsive;
      const listed = candidates(image.srcSet);
      // public (scale-down 1366 × 768) keeps 1000 × 500; "square" crops, so it is left out.
      expect(listed.map((c) => [new URL(c.url).pathname.split("/").pop(), c.width])).toEqual([
        ["small", 200],
        ["medium", 500],
        ["public", 1000],
      ]);
      for (const { url } of listed) expect(new URL(url).searchParams.get("sig")).toMatch(/^[0-9a-f]{64}$/);
      expect(image).toMatchObject({ src: listed[2]?.url, width: 1000, height: 500, aspectRatio: 2 });
      await expectAllLoad(image.srcSet);

      const picked = await responsive(id, "(widths: [150, 400])");
      expect(candidates(picked.data?.image.responsiveImage?.srcSet as string).map((c) => c.width)).toEqual([200, 500]);

      const transformed = await responsive(id, "(transform: { quality: 50 })");
      expect(transformed.data?.image.responsiveImage).toBeNull();
      expect(transformed.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        reason: "SIGNED_URLS_REQUIRED",
      });
    } finally {
      for (const name of ["small", "medium", "square"]) await stack.emulator.api("DELETE", `/v1/variants/${name}`);
    }
  });
});

describe("FLEXIBLE_VARIANTS=false", () => {
  it("builds the srcset from named variants for public images too", async () => {
    const closed = await startTestStack({ env: { FLEXIBLE_VARIANTS: "false" } });
    try {
      const id = (await uploaded(closed.emulator)).id;
      const answer = await closed.gql<{ image: { responsiveImage: Responsive } }>(
        `query ($id: ID!) { image(imageId: $id) { responsiveImage { ${FIELDS} } } }`,
        { id },
      );
      expect(answer.errors).toBeUndefined();
      expect(new URL(answer.data?.image.responsiveImage.src as string).pathname.split("/").pop()).toBe("public");
    } finally {
      await closed.close();
    }
  });
});
