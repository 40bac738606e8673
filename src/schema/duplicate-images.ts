import type { DuplicateGroup } from "../catalogue/facts-model.ts";
import { inputError } from "../errors.ts";
import { builder } from "./builder.ts";
import { ImageRef } from "./image.ts";
import { sharedLookup, UPSTREAM_CALLS } from "./upstream-calls.ts";

const DEFAULT_GROUPS = 20;
const MAX_GROUPS = 100;
/** Images listed per group at most; `count` says how many there are. */
export const IMAGES_PER_GROUP = 100;
/** Signs this connection's cursors apart from `images`' (a cursor of one is refused by the other). */
const FINGERPRINT = "duplicateImages";

const DuplicateImageGroupRef = builder.objectRef<DuplicateGroup>("DuplicateImageGroup").implement({
  description: "Images of the catalogue whose stored files are the same bytes (the same `contentHash`).",
  fields: (t) => ({
    contentHash: t.exposeString("contentHash", { description: "SHA-256 of the files, hex." }),
    count: t.exposeInt("count", { description: "Images holding these bytes (2 or more)." }),
    byteSize: t.exposeInt("byteSize", { description: "Bytes of one copy." }),
    wastedBytes: t.float({
      description: "byteSize × (count − 1): what keeping one copy would save. A Float: it may pass 2³¹.",
      resolve: (group) => group.wastedBytes,
    }),
    images: t.field({
      type: [ImageRef],
      description: `The images, earliest upload first (the original), at most ${IMAGES_PER_GROUP}.`,
      resolve: (group) => group.images,
    }),
  }),
});

builder.queryFields((t) => ({
  duplicateImages: t.connection(
    {
      type: DuplicateImageGroupRef,
      description:
        "Groups of images with the same bytes, by their facts, most wasted bytes first; forward only (`first`/`after`). " +
        "Served by the catalogue: images whose facts are not READY are not counted.",
      extensions: { [UPSTREAM_CALLS]: sharedLookup() },
      complexity: (args) => ({ field: 1, multiplier: Math.max(1, Math.min(args.first ?? DEFAULT_GROUPS, MAX_GROUPS)) }),
      resolve: async (_root, args, ctx) => {
        if (args.last != null || args.before != null) {
          throw inputError("`duplicateImages` pages forward only: use `first` and `after`.", {
            argument: args.last != null ? "last" : "before",
          });
        }
        const first = args.first ?? DEFAULT_GROUPS;
        if (first < 0 || first > MAX_GROUPS) {
          throw inputError(`\`first\` must be between 0 and ${MAX_GROUPS}.`, { argument: "first" });
        }
        const { catalogue, cursors } = ctx.catalogue;
        const anchor = args.after != null ? cursors.decode(args.after, FINGERPRINT) : undefined;
        if (anchor && typeof anchor.value !== "number") {
          throw inputError("Malformed cursor: pass back a cursor exactly as this API returned it.", {
            argument: "after",
          });
        }
        const after = anchor ? { wastedBytes: anchor.value as number, contentHash: anchor.id } : undefined;
        const groups =
          first === 0
            ? []
            : await catalogue.duplicates({
                ...(after ? { after } : {}),
                limit: first,
                imagesPerGroup: IMAGES_PER_GROUP,
              });
        const page = groups.slice(0, first);
        const edges = page.map((node) => ({
          node,
          cursor: cursors.encode(FINGERPRINT, { value: node.wastedBytes, id: node.contentHash }),
        }));
        for (const group of page) ctx.loaders.primeImages(group.images);
        return {
          edges,
          pageInfo: {
            hasNextPage: groups.length > first,
            hasPreviousPage: anchor !== undefined,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    },
    { name: "DuplicateImageGroupConnection" },
    { name: "DuplicateImageGroupEdge" },
  ),
}));
