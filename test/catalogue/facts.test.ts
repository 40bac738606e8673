import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jpeg, png } from "../support/facts-files.ts";
import { pngPart, uploaded } from "../support/images.ts";
import { startTestPostgres, type TestPostgres } from "../support/postgres.ts";
import { useTestStack } from "../support/server.ts";
import { gqlMultipart, UPLOAD_V1 } from "../support/uploads.ts";
import { catalogueReady, IMAGES, type ImagesAnswer } from "./fixtures.ts";

const UPLOAD = `
  mutation ($input: UploadImageInput!) {
    uploadImage(input: $input) {
      __typename
      ... on UploadImagePayload { deduplicated image { imageId filename width contentHash factsStatus } }
      ... on MutationError { message }
    }
  }`;

interface UploadAnswer {
  uploadImage: {
    __typename: string;
    deduplicated?: boolean;
    image?: {
      imageId: string;
      filename: string;
      width: number | null;
      contentHash: string | null;
      factsStatus: string;
    };
    message?: string;
  };
}

const DUPLICATES = `
  query ($first: Int, $after: String) {
    duplicateImages(first: $first, after: $after) {
      edges { cursor node { contentHash count byteSize wastedBytes images { imageId filename } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }`;

interface DuplicatesAnswer {
  duplicateImages: {
    edges: {
      cursor: string;
      node: {
        contentHash: string;
        count: number;
        byteSize: number;
        wastedBytes: number;
        images: { imageId: string; filename: string }[];
      };
    }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
}

let postgres: TestPostgres | undefined;
afterAll(async () => {
  await postgres?.close();
});

describe.each(["node:sqlite", "PostgreSQL"])("image facts through the catalogue (%s)", (kind) => {
  let databaseUrl: string | undefined;
  beforeAll(async () => {
    if (kind !== "PostgreSQL") return;
    postgres ??= await startTestPostgres();
    databaseUrl = await postgres.createDatabase();
  }, 60_000);
  const stack = useTestStack(() => ({
    env: { CATALOGUE: "on", ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
  }));

  const upload = async (bytes: Uint8Array, name: string, type: string, dedupe = false) => {
    const answer = await gqlMultipart<UploadAnswer>(stack, UPLOAD, { input: { file: null, dedupe } }, [
      { path: "variables.input.file", bytes, name, type },
    ]);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.uploadImage.__typename, answer.data?.uploadImage.message).toBe("UploadImagePayload");
    return answer.data?.uploadImage as Required<UploadAnswer["uploadImage"]>;
  };
  const list = async (variables: Record<string, unknown>) => {
    const answer = await stack.gql<ImagesAnswer>(IMAGES, variables);
    expect(answer.errors).toBeUndefined();
    return (answer.data as ImagesAnswer).images;
  };
  const names = async (variables: Record<string, unknown>) => (await list(variables)).edges.map((e) => e.node.filename);

  describe("five images, two of them copies, one without facts", () => {
    let sizes: Record<string, number>;
    beforeAll(async () => {
      await catalogueReady(stack.gql);
      const wide = await jpeg(300, 100);
      const small = await png(40, 30);
      const tall = await png(50, 200);
      // wide.jpg twice and small.png twice: the same bytes under two ids each. "direct.png" reaches the
      // upstream straight (a dashboard upload): its facts are not known until something reads them.
      await upload(wide.bytes, "wide.jpg", "image/jpeg");
      await upload(wide.bytes, "wide-copy.jpg", "image/jpeg");
      await upload(small.bytes, "small.png", "image/png");
      await upload(small.bytes, "small-copy.png", "image/png");
      await upload(tall.bytes, "tall.png", "image/png");
      await uploaded(stack.emulator, {}, pngPart("direct.png"));
      await stack.app.catalogue.sweepNow();
      sizes = { wide: wide.bytes.byteLength, small: small.bytes.byteLength, tall: tall.bytes.byteLength };
      await stack.emulator.reset();
    }, 60_000);

    it("filters by width, height, byte size and format, with no upstream call", async () => {
      const byName = { orderBy: { field: "FILENAME", direction: "ASC" } };
      expect(await names({ ...byName, filter: { width: { min: 300 } } })).toEqual(["wide-copy.jpg", "wide.jpg"]);
      expect(await names({ ...byName, filter: { height: { min: 30, max: 30 } } })).toEqual([
        "small-copy.png",
        "small.png",
      ]);
      expect(await names({ ...byName, filter: { width: { max: 50 }, sourceFormat: "PNG" } })).toEqual([
        "small-copy.png",
        "small.png",
        "tall.png",
      ]);
      expect(await names({ ...byName, filter: { sourceFormat: ["JPEG", "GIF"] } })).toEqual([
        "wide-copy.jpg",
        "wide.jpg",
      ]);
      const exact = await list({ filter: { byteSize: { min: sizes.tall, max: sizes.tall } } });
      expect(exact.edges.map((e) => e.node.filename)).toEqual(["tall.png"]);
      expect(exact.totalCount).toBe(1);
      expect((await list({ filter: { width: { min: 0 } } })).totalCount).toBe(5);
      expect(await stack.emulator.counts()).toEqual({});
    });

    it("orders by bytes, width and height both ways, images without facts last, paging by keyset both ways", async () => {
      // Ties (the copies) are broken by id, which is random: compared as sets.
      const byWidth = await names({ orderBy: { field: "WIDTH", direction: "DESC" } });
      expect([byWidth.slice(0, 2).sort(), byWidth[2], byWidth.slice(3, 5).sort(), byWidth[5]]).toEqual([
        ["wide-copy.jpg", "wide.jpg"],
        "tall.png",
        ["small-copy.png", "small.png"],
        "direct.png",
      ]);
      const byHeightUp = await names({ orderBy: { field: "HEIGHT", direction: "ASC" } });
      expect(byHeightUp.at(-1)).toBe("direct.png");
      expect(byHeightUp.slice(0, 2).sort()).toEqual(["small-copy.png", "small.png"]);
      for (const orderBy of [
        { field: "BYTES", direction: "ASC" },
        { field: "BYTES", direction: "DESC" },
        { field: "WIDTH", direction: "ASC" },
      ]) {
        const whole = await names({ orderBy, first: 100 });
        expect(whole).toHaveLength(6);
        expect(whole.at(-1)).toBe("direct.png");
        // Forward one by one, then backward one by one from the end: the same sequence.
        const forward: (string | null)[] = [];
        let after: string | null = null;
        for (let more = true; more; ) {
          const page = await list({ orderBy, first: 1, after });
          forward.push(...page.edges.map((e) => e.node.filename));
          more = page.pageInfo.hasNextPage;
          after = page.pageInfo.endCursor;
        }
        expect(forward).toEqual(whole);
        const backward: (string | null)[] = [];
        let before: string | null = null;
        for (let more = true; more; ) {
          const page = await list({ orderBy, last: 2, before });
          backward.unshift(...page.edges.map((e) => e.node.filename));
          more = page.pageInfo.hasPreviousPage;
          before = page.pageInfo.startCursor;
        }
        expect(backward).toEqual(whole);
      }
      expect(await stack.emulator.counts()).toEqual({});
    });

    it("refuses empty, inverted and negative ranges and an empty format list", async () => {
      for (const filter of [
        { width: {} },
        { height: { min: 10, max: 9 } },
        { byteSize: { min: -1 } },
        { width: { max: -5 } },
        { sourceFormat: [] },
      ]) {
        const answer = await stack.gql(IMAGES, { filter });
        expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(filter)).toBe("BAD_USER_INPUT");
        expect(answer.data ?? null).toBeNull();
      }
      expect(await stack.emulator.counts()).toEqual({});
    });

    it("lists groups of the same bytes with their wasted bytes, most first, paged forward", async () => {
      const all = await stack.gql<DuplicatesAnswer>(DUPLICATES, {});
      expect(all.errors).toBeUndefined();
      const groups = all.data?.duplicateImages.edges.map((e) => e.node) ?? [];
      expect(groups.map((g) => [g.count, g.byteSize, g.wastedBytes])).toEqual([
        [2, sizes.wide, sizes.wide],
        [2, sizes.small, sizes.small],
      ]);
      expect(groups[0]?.images.map((i) => i.filename)).toEqual(["wide.jpg", "wide-copy.jpg"]);
      const first = await stack.gql<DuplicatesAnswer>(DUPLICATES, { first: 1 });
      const page = first.data?.duplicateImages;
      expect(page?.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const second = await stack.gql<DuplicatesAnswer>(DUPLICATES, { first: 1, after: page?.pageInfo.endCursor });
      expect(second.data?.duplicateImages.edges.map((e) => e.node.contentHash)).toEqual([groups[1]?.contentHash]);
      expect(second.data?.duplicateImages.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      const backward = await stack.gql(`{ duplicateImages(last: 1) { edges { cursor } } }`);
      expect(backward.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      const foreign = await stack.gql(DUPLICATES, { after: "not-a-cursor" });
      expect(foreign.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(await stack.emulator.counts()).toEqual({});
    });

    it("an upload with dedupe answers the image already holding the bytes, without reaching the upstream", async () => {
      const tall = await png(50, 200);
      const again = await upload(tall.bytes, "tall-again.png", "image/png", true);
      expect(again.deduplicated).toBe(true);
      expect(again.image.filename).toBe("tall.png");
      expect(again.image.factsStatus).toBe("READY");
      expect(await stack.emulator.counts()).toEqual({});

      const fresh = await jpeg(64, 48);
      const stored = await upload(fresh.bytes, "fresh.jpg", "image/jpeg", true);
      expect(stored.deduplicated).toBe(false);
      expect(stored.image).toMatchObject({ filename: "fresh.jpg", width: 64, factsStatus: "READY" });
      expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 1 });
      // The copy it made is now the one a second dedupe upload finds.
      const third = await upload(fresh.bytes, "fresh-2.jpg", "image/jpeg", true);
      expect(third).toMatchObject({ deduplicated: true, image: { imageId: stored.image.imageId } });
      expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 1 });
      // Without dedupe the same bytes are stored again, as before.
      expect((await upload(fresh.bytes, "fresh-3.jpg", "image/jpeg")).deduplicated).toBe(false);
      expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 2 });
      await stack.emulator.reset();
    });

    it("forgets a deleted image's facts: its group goes, and dedupe no longer finds it", async () => {
      const small = await png(40, 30);
      const copies = await list({ filter: { height: { min: 30, max: 30 } } });
      for (const edge of copies.edges) {
        const answer = await stack.gql("mutation ($id: ID!) { deleteImage(input: { imageId: $id }) { __typename } }", {
          id: edge.node.imageId,
        });
        expect(answer.errors).toBeUndefined();
      }
      const groups = await stack.gql<DuplicatesAnswer>(DUPLICATES, {});
      // wide.jpg's copies, and fresh.jpg stored twice without dedupe: small.png's group is gone.
      const left = groups.data?.duplicateImages.edges.flatMap((e) => e.node.images.map((i) => i.filename)) ?? [];
      expect(left.sort()).toEqual(["fresh-3.jpg", "fresh.jpg", "wide-copy.jpg", "wide.jpg"]);
      await stack.emulator.reset();
      const again = await upload(small.bytes, "small-3.png", "image/png", true);
      expect(again.deduplicated).toBe(false);
      expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 1 });
      await stack.emulator.reset();
    });

    it("refuses dedupe with a url", async () => {
      const answer = await stack.gql<UploadAnswer>(UPLOAD, {
        input: { url: "https://example.com/a.png", dedupe: true },
      });
      expect(answer.data?.uploadImage.__typename).toBe("ValidationError");
      expect(await stack.emulator.counts()).toEqual({});
    });
  });
});

describe("with the catalogue off", () => {
  const stack = useTestStack({ env: { CATALOGUE: "off" } });

  it("fact filters, fact orders, duplicateImages and dedupe are typed refusals", async () => {
    for (const variables of [
      { filter: { width: { min: 1 } } },
      { filter: { sourceFormat: "PNG" } },
      { orderBy: { field: "BYTES" } },
    ]) {
      const answer = await stack.gql(IMAGES, variables);
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "CATALOGUE_OFF" });
    }
    const duplicates = await stack.gql(DUPLICATES, {});
    expect(duplicates.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "CATALOGUE_OFF" });
    const small = await png(10, 10);
    const answer = await gqlMultipart(stack, UPLOAD, { input: { file: null, dedupe: true } }, [
      { path: "variables.input.file", bytes: small.bytes, name: "a.png", type: "image/png" },
    ]);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "CATALOGUE_OFF" });
    expect(await stack.emulator.counts()).toEqual({});
  });
});
