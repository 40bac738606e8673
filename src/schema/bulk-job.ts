import { decodeGlobalID } from "@pothos/plugin-relay";
import type { Context } from "../context.ts";
import { inputError, notFoundError } from "../errors.ts";
import { type ItemFailure, JOB_KINDS, type JOB_STATES, type Job, type JobKeyset } from "../jobs/index.ts";
import { builder } from "./builder.ts";
import { assertMayRead } from "./entry-scopes.ts";

export const BulkJobKindEnum = builder.enumType("BulkJobKind", { values: JOB_KINDS });
export const BulkJobStateEnum = builder.enumType("BulkJobState", {
  values: {
    QUEUED: { description: "Accepted; no item taken yet." },
    RUNNING: {},
    SUCCEEDED: { description: "Every item done or skipped." },
    FAILED: { description: "Finished, with at least one item failed: see `failures`." },
    CANCELLED: { description: "Stopped by `cancelBulkJob`: items not yet taken are left as they were." },
  } satisfies Record<(typeof JOB_STATES)[number], object>,
});

const BulkJobFailureRef = builder.objectRef<ItemFailure>("BulkJobFailure").implement({
  description: "An item that failed, and why.",
  fields: (t) => ({
    item: t.string({
      description: "The image id, or for an import the URL.",
      resolve: (f) => f.imageId ?? f.url ?? "",
    }),
    imageId: t.id({ nullable: true, resolve: (f) => f.imageId }),
    url: t.string({ nullable: true, resolve: (f) => f.url }),
    code: t.string({
      description: "One of the error codes (`NOT_FOUND`, `UPSTREAM_ERROR`, …).",
      resolve: (f) => f.code,
    }),
    message: t.exposeString("message"),
  }),
});

export const BulkJobRef = builder.objectRef<Job>("BulkJob");

/** A job's tenant is the caller's name: an API key's, a JWT's subject (one mode per deployment). */
export function tenantOf(ctx: Context): string {
  return ctx.viewer.name;
}

const MAX_PAGE = 100;

export function pageSize(first: number | null | undefined, fallback = 20): number {
  const size = first ?? fallback;
  if (size < 0 || size > MAX_PAGE) {
    throw inputError(`\`first\` must be from 0 to ${MAX_PAGE}.`, { argument: "first" });
  }
  return size;
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (check(value)) return value;
  } catch {}
  throw inputError("The cursor is not one this field gave.", { argument: "after" });
}

const isPosition = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/** The job's id from its global id; another tenant's job is answered as unknown. */
export async function jobOfGlobalId(ctx: Context, globalId: string): Promise<Job> {
  let decoded: { typename: string; id: string } | undefined;
  try {
    decoded = decodeGlobalID(globalId);
  } catch {}
  if (decoded?.typename !== "BulkJob") {
    throw inputError("Not a BulkJob id: pass the `id` a bulk mutation or `bulkJobs` gave.", { argument: "id" });
  }
  const job = await ctx.jobs.get(tenantOf(ctx), decoded.id);
  if (!job) throw notFoundError("No bulk job of yours has this id.", { reason: "BULK_JOB_NOT_FOUND" });
  return job;
}

builder.node(BulkJobRef, {
  description: "A delete, update or import of many images as one durable job; its selection is fixed when it is made.",
  id: { resolve: (job) => job.id },
  isTypeOf: (value) => typeof value === "object" && value !== null && "operation" in value && "tenant" in value,
  loadOne: async (id, ctx) => {
    assertMayRead(ctx, "BulkJob");
    return (await ctx.jobs.get(tenantOf(ctx), id)) ?? null;
  },
  fields: (t) => ({
    kind: t.field({ type: BulkJobKindEnum, resolve: (job) => job.kind }),
    state: t.field({ type: BulkJobStateEnum, resolve: (job) => job.state }),
    total: t.exposeInt("total", { description: "Items in the selection." }),
    done: t.exposeInt("done"),
    failed: t.exposeInt("failed"),
    skipped: t.exposeInt("skipped", { description: "Imports whose custom id already existed." }),
    createdAt: t.field({ type: "DateTime", resolve: (job) => job.createdAt }),
    startedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.startedAt }),
    finishedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.finishedAt }),
    failures: t.connection(
      {
        type: BulkJobFailureRef,
        resolve: async (job, args, ctx) => {
          const limit = pageSize(args.first);
          const after = args.after ? decodeCursor(args.after, isPosition) : undefined;
          const rows = await ctx.jobs.failures(job, limit, after);
          const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor(node.position), node }));
          return {
            edges,
            pageInfo: {
              hasNextPage: rows.length > limit,
              hasPreviousPage: after !== undefined,
              startCursor: edges[0]?.cursor ?? null,
              endCursor: edges.at(-1)?.cursor ?? null,
            },
          };
        },
      },
      { name: "BulkJobFailureConnection" },
      { name: "BulkJobFailureEdge" },
    ),
  }),
});

const isKeyset = (value: unknown): value is JobKeyset =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as JobKeyset).createdAt === "number" &&
  typeof (value as JobKeyset).id === "string";

const BULK = { skipTypeScopes: true, authScopes: { "images:bulk": true } } as const;

builder.queryFields((t) => ({
  bulkJob: t.field({
    ...BULK,
    type: BulkJobRef,
    description: "One of your bulk jobs; NOT_FOUND for an id that is not one of yours.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => jobOfGlobalId(ctx, String(args.id)),
  }),
  bulkJobs: t.connection(
    {
      ...BULK,
      type: BulkJobRef,
      description: "Your bulk jobs (your API key's, your JWT subject's), newest first.",
      resolve: async (_root, args, ctx) => {
        const limit = pageSize(args.first);
        const after = args.after ? decodeCursor(args.after, isKeyset) : undefined;
        const jobs = await ctx.jobs.list(tenantOf(ctx), limit, after);
        const edges = jobs
          .slice(0, limit)
          .map((node) => ({ cursor: encodeCursor({ createdAt: node.createdAt.getTime(), id: node.id }), node }));
        return {
          edges,
          pageInfo: {
            hasNextPage: jobs.length > limit,
            hasPreviousPage: after !== undefined,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    },
    { name: "BulkJobConnection" },
    { name: "BulkJobEdge" },
  ),
}));

builder.subscriptionFields((t) => ({
  bulkJobProgress: t.field({
    ...BULK,
    type: BulkJobRef,
    description:
      "The job now, then after each change of its counts or state, until it is finished. Works on any replica.",
    args: { id: t.arg.id({ required: true }) },
    subscribe: async (_root, args, ctx) => {
      const job = await jobOfGlobalId(ctx, String(args.id));
      return ctx.live.streams.track(ctx.jobs.progress(tenantOf(ctx), job.id));
    },
    resolve: (job: Job) => job,
  }),
}));
