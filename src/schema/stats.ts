import type { Stats } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { upstreamCall } from "./limits.ts";

const StatsRef = builder.objectRef<Stats>("ImageStats").implement({
  description: "How many images the account stores, against its allowance.",
  fields: (t) => ({
    allowed: t.exposeInt("allowed"),
    current: t.exposeInt("current"),
    remaining: t.int({ resolve: (s) => Math.max(0, s.allowed - s.current) }),
  }),
});

builder.queryFields((t) => ({
  stats: t.field({
    type: StatsRef,
    complexity: upstreamCall,
    resolve: (_root, _args, ctx) => ctx.api.stats.get(),
  }),
}));
