import { parseArgs } from "node:util";
import { DEFAULT_BATCH_TOKEN_TTL_SECONDS } from "./batch.ts";
import { EMULATOR_DEFAULTS, type EmulatorOptions, startEmulator } from "./index.ts";

const USAGE = `Usage: npm run emulator -- [options]

Runs the Cloudflare Images API emulator until SIGINT or SIGTERM.

Options:
  --port <n>          port to listen on, 0 for a free one (default ${EMULATOR_DEFAULTS.port})
  --host <h>          interface to listen on (default ${EMULATOR_DEFAULTS.host})
  --token <t>         API token clients must send as "Authorization: Bearer <t>" (default ${EMULATOR_DEFAULTS.token})
  --account-id <id>   account id, 32 hex characters (default ${EMULATOR_DEFAULTS.accountId})
  --seed              start with the sample images, variants and signing key
  --data-dir <dir>    keep state and image bytes in this folder across restarts
  --latency-ms <n>    latency added to every API and delivery request
  --rate-limit        apply the real rate limit (1200 requests per 5 minutes, then 5 minutes of 429s;
                      200 requests per second per batch token on the batch host)
  --batch-token-ttl <s>
                      lifetime of batch tokens in seconds (default ${DEFAULT_BATCH_TOKEN_TTL_SECONDS})
  --flexible-variants turn flexible variants on at start (--seed does too)
  --new-id-on-signed-urls-change
                      changing an image's requireSignedURLs gives it a new id
  -h, --help          show this help
`;

class UsageError extends Error {}

function parseCliArgs(args: string[]): EmulatorOptions | "help" {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  const accountId = values["account-id"] ?? EMULATOR_DEFAULTS.accountId;
  if (!/^[0-9a-f]{32}$/.test(accountId)) throw new UsageError("--account-id must be 32 lowercase hex characters");
  const options: EmulatorOptions = {
    host: values.host ?? EMULATOR_DEFAULTS.host,
    port: integerOption("--port", values.port, EMULATOR_DEFAULTS.port, 65_535),
    token: values.token ?? EMULATOR_DEFAULTS.token,
    accountId,
    seed: values.seed ?? false,
    latencyMs: integerOption("--latency-ms", values["latency-ms"], 0, 60_000),
    rateLimit: values["rate-limit"] ?? false,
    batchTokenTtlSeconds: integerOption(
      "--batch-token-ttl",
      values["batch-token-ttl"],
      DEFAULT_BATCH_TOKEN_TTL_SECONDS,
      7 * 24 * 3600,
    ),
    newIdOnSignedUrlsChange: values["new-id-on-signed-urls-change"] ?? false,
  };
  if (options.batchTokenTtlSeconds === 0) throw new UsageError("--batch-token-ttl must be at least 1 second");
  if (values["flexible-variants"]) options.flexibleVariants = true;
  if (options.token === "" || /\s/.test(options.token ?? ""))
    throw new UsageError("--token must be non-empty, without spaces");
  if (values["data-dir"] !== undefined) options.dataDir = values["data-dir"];
  return options;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      token: { type: "string" },
      "account-id": { type: "string" },
      seed: { type: "boolean" },
      "data-dir": { type: "string" },
      "latency-ms": { type: "string" },
      "rate-limit": { type: "boolean" },
      "batch-token-ttl": { type: "string" },
      "flexible-variants": { type: "boolean" },
      "new-id-on-signed-urls-change": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function integerOption(flag: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > max) throw new UsageError(`${flag} must be an integer from 0 to ${max}`);
  return Number(text);
}

async function main(): Promise<void> {
  let options: EmulatorOptions | "help";
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return;
  }
  const emulator = await startEmulator(options);
  process.stdout.write(
    [
      `baseUrl=${emulator.baseUrl}`,
      `batchBaseUrl=${emulator.batchBaseUrl}`,
      `accountId=${emulator.accountId}`,
      `token=${emulator.token}`,
      `accountHash=${emulator.accountHash}`,
      "",
    ].join("\n"),
  );
  const stop = async () => {
    await emulator.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
