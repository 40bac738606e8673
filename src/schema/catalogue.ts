import type { SyncState } from "../catalogue/model.ts";
import { builder } from "./builder.ts";
import { sharedLookup, UPSTREAM_CALLS } from "./upstream-calls.ts";

export const ImageOrderFieldEnum = builder.enumType("ImageOrderField", {
  description: "What the catalogue orders images by; the image id breaks ties.",
  values: {
    UPLOADED: { value: "uploaded", description: "Upload time (the only order the upstream list has)." },
    FILENAME: { value: "filename", description: "Filename, case-insensitively; images without one first." },
    ID: { value: "id" },
    BYTES: {
      value: "bytes",
      description: "The stored file's size. Images without READY facts come last, either direction.",
    },
    WIDTH: {
      value: "width",
      description: "Width as displayed. Images without READY facts come last, either direction.",
    },
    HEIGHT: {
      value: "height",
      description: "Height as displayed. Images without READY facts come last, either direction.",
    },
  } as const,
});

export const IntRangeInput = builder.inputType("IntRange", {
  description:
    "Whole numbers from `min` to `max`, both included; either may be left out, not both. Neither may be negative.",
  fields: (t) => ({
    min: t.int(),
    max: t.int(),
  }),
});

export const UploadedRangeInput = builder.inputType("UploadedRange", {
  description: "Upload times strictly after `after` and strictly before `before`; either may be left out.",
  fields: (t) => ({
    after: t.field({ type: "DateTime" }),
    before: t.field({ type: "DateTime" }),
  }),
});

const CatalogueStatusEnum = builder.enumType("CatalogueStatus", {
  values: {
    OFF: { description: "No catalogue (CATALOGUE=off, or forward mode): search, sorting and counts are refused." },
    SYNCING: {
      description: "Not complete yet, or its store is out of reach: catalogue-only arguments get a typed error.",
    },
    READY: {
      description: "Complete: exact after this API's writes; changes made elsewhere arrive within the sync intervals.",
    },
  } as const,
});

interface CatalogueView {
  status: "OFF" | "SYNCING" | "READY";
  state: SyncState;
  images: () => Promise<number | null>;
}

const SweepRef = builder.objectRef<NonNullable<SyncState["lastSweep"]>>("CatalogueSweep").implement({
  description: "A full read of the account's images.",
  fields: (t) => ({
    startedAt: t.field({ type: "DateTime", resolve: (s) => s.startedAt }),
    durationMs: t.exposeInt("durationMs"),
    images: t.exposeInt("images", { description: "Images the sweep read." }),
  }),
});

const CatalogueRef = builder.objectRef<CatalogueView>("Catalogue").implement({
  description:
    "The index behind `images(search, orderBy, filter: { filename, uploaded, requireSignedURLs })` and `totalCount`.",
  fields: (t) => ({
    status: t.field({ type: CatalogueStatusEnum, resolve: (c) => c.status }),
    images: t.int({
      nullable: true,
      description: "Images in the index; null when it is off or its store cannot be reached.",
      resolve: (c) => c.images(),
    }),
    syncedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the index last heard from the upstream (a sweep or a delta).",
      resolve: (c) => c.state.syncedAt,
    }),
    lastSweep: t.field({ type: SweepRef, nullable: true, resolve: (c) => c.state.lastSweep }),
  }),
});

builder.queryFields((t) => ({
  catalogue: t.field({
    type: CatalogueRef,
    extensions: { [UPSTREAM_CALLS]: sharedLookup() },
    resolve: (_root, _args, ctx) => {
      const { catalogue } = ctx.catalogue;
      return { status: catalogue.status(), state: catalogue.syncState(), images: () => catalogue.size() };
    },
  }),
}));
