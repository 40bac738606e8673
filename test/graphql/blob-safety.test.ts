import { describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { useTestStack } from "../support/server.ts";
import { gqlMultipart, UPLOAD_IMAGE, type UploadResult } from "../support/uploads.ts";

const SCRIPTED_SVG = new TextEncoder().encode(
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>',
);

const stack = useTestStack();

async function uploadedBlob(bytes: Uint8Array, name: string): Promise<Response> {
  const answer = await gqlMultipart<UploadResult>(stack, UPLOAD_IMAGE, { input: { file: null } }, [
    { path: "variables.input.file", bytes, name },
  ]);
  const imageId = answer.data?.uploadImage.image?.imageId;
  if (!imageId) throw new Error(`upload failed: ${answer.text}`);
  return fetch(new URL(`/images/${imageId}/blob`, stack.server.url));
}

describe("blobs are served so that they cannot act in the facade's origin", () => {
  it("serves an SVG with a script as a sandboxed, non-sniffed attachment of the upstream's type", async () => {
    const response = await uploadedBlob(SCRIPTED_SVG, "evil.svg");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/svg+xml");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment/);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(SCRIPTED_SVG);
  });

  it("serves raster images inline, still with nosniff and the sandboxing policy", async () => {
    const response = await uploadedBlob(samplePng(4, 4), "p.png");
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
    expect(response.headers.get("content-disposition")).toBeNull();
    await response.arrayBuffer();
  });
});
