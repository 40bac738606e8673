// npm run bench [-- <scenario> [options]]: the default benchmark, or one of the long runs.
const USAGE = `Usage: npm run bench [-- <scenario> [options]]

  (none)                 the full server vs a bare yoga server on the same schema (the framework floor)
                         vs direct REST (the physical floor), 0 ms upstream: req/s, p50/p99, CPU ms
                         per request, RSS, start-up (bench/run.ts)
  latency                facade vs direct REST at 20 ms upstream latency, a cursor walk, 5 MB uploads
  profile [--scenario <name>] [--seconds <n>] [--floor]
                         one scenario against a server run with --cpu-prof, then a heap snapshot after
                         the load (bench/results/profile/)
  soak [--minutes <n>]   mixed browsing and writes for n minutes (default 10): RSS over time, errors
  fuzz [--requests <n>]  n generated hostile or broken requests (default 10000): no answer >= 500, data unchanged
  capacity [--seconds <n>]  distinct reads with and without the batch host; 3 replicas overloading the
                         upstream with and without a shared Redis budget: upstream 429s (goal 0)
  frontend [--users <n>] [--seconds <n>] [--images <n>] [--think-ms <n>] [--writes-per-second <n>] [--batch off]
                         n users (default 40) browsing a gallery of 500 images for 60 s per mode on the
                         default budget while some write (1/s), 1 process and 3 replicas + Redis, CACHE=on
                         and off: share answered without RATE_LIMITED (goal >= 99 %), upstream calls, stale
                         reads (goal 0), p50/p99
  memory [--limits <MB,MB>] [--seconds <n>] [--connections <n>] [--cache on|off]
                         the server in a memory cgroup (default 160 and 256 MB, and none for the ratio), 50
                         connections on pages of 100: req/s, 200s, 503s with Retry-After, p99, peak usage,
                         whether the kernel killed it (needs root and a memory cgroup controller)
  catalogue [--images <n>] [--seconds <n>] [--connections <n>] [--no-postgres] [--no-off]
            [--scenarios search,filter,sort,common] [--cpu-prof <dir>]
                         an emulator with 100,000 images (default): first sweep time and upstream calls;
                         search, filter, sort and common-word pages of 50 at 10 connections (p50/p99/
                         req/s, server CPU ms/req), embedded store and PostgreSQL; RSS with the catalogue
                         on and off
  facts [--images <n>] [--concurrency <n>] [--share-seconds <n>]
                         the facts backfill of n mixed images (default 1000): facts/s, upstream calls and CPU per
                         image, the budget share taken on the default budget, peak RSS while the facts of a
                         40-megapixel JPEG and a 10 MB PNG upload are computed (FACTS=on vs off)
  bulk [--items <n>] [--readers <n>]
                         bulk jobs of n images (default 2,000) on the emulator's real limits: items/s for a
                         delete by filter, an update and an import by URL, upstream 429s (goal 0), and
                         interactive read p99 during each job vs idle (goal: within 2x)
`;

const SCENARIOS: Record<string, string> = {
  latency: "./latency.ts",
  profile: "./profile.ts",
  soak: "./soak.ts",
  fuzz: "./fuzz.ts",
  capacity: "./capacity.ts",
  frontend: "./frontend.ts",
  memory: "./memory-limit.ts",
  catalogue: "./catalogue.ts",
  facts: "./facts.ts",
  bulk: "./bulk.ts",
};

const [scenario, ...options] = process.argv.slice(2);
const entry = scenario === undefined ? "./run.ts" : SCENARIOS[scenario];
if (entry === undefined || options.includes("--help") || options.includes("-h")) {
  console.error(USAGE);
  process.exit(scenario === "--help" || scenario === "-h" || entry !== undefined ? 0 : 1);
}
try {
  await import(entry);
} catch (error) {
  // A scenario's own options are parsed strictly: a wrong one gets the usage, not a stack trace.
  if ((error as { code?: string }).code !== "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw error;
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}
