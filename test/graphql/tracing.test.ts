import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInProcessStack } from "../support/in-process.ts";
import { captureLogs } from "../support/logs.ts";

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** A stand-in OpenTelemetry collector: takes OTLP/HTTP JSON exports on 127.0.0.1 and keeps the spans. */
let collector: Server;
let collectorUrl: string;
const exports: { path: string; headers: IncomingHttpHeaders }[] = [];
const spans: ExportedSpan[] = [];

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      exports.push({ path: request.url ?? "", headers: request.headers });
      const payload = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[] };
      for (const resource of payload.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

function attribute(span: ExportedSpan, key: string): unknown {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value && Object.values(value)[0];
}

describe("OpenTelemetry traces", () => {
  it("exports operation → resolver → upstream spans to the OTLP endpoint when it is set", async () => {
    const logs = captureLogs();
    const stack = await startInProcessStack({
      emulator: { seed: true },
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
        OTEL_SERVICE_NAME: "images-under-test",
        OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=collector-secret-123",
      },
      logger: logs.logger,
    });
    const answer = await stack.gql(
      `query Traced { images(first: 2) { edges { node { filename } } } stats { current } }`,
    );
    expect(answer.errors).toBeUndefined();
    // Closing the app flushes the batch of spans.
    await stack.close();

    expect(exports.length).toBeGreaterThanOrEqual(1);
    expect(exports[0]).toMatchObject({ path: "/v1/traces", headers: { "x-collector-key": "collector-secret-123" } });
    expect(logs.text()).not.toContain("collector-secret-123");

    const operation = spans.find((s) => s.name === "query Traced");
    expect(operation).toBeDefined();
    expect(operation?.parentSpanId ?? "").toBe("");
    expect(attribute(operation as ExportedSpan, "graphql.operation.name")).toBe("Traced");
    const inTrace = spans.filter((s) => s.traceId === operation?.traceId);

    const images = inTrace.find((s) => s.name === "Query.images");
    const stats = inTrace.find((s) => s.name === "Query.stats");
    expect(images?.parentSpanId).toBe(operation?.spanId);
    expect(stats?.parentSpanId).toBe(operation?.spanId);

    const list = inTrace.find((s) => s.name === "GET /accounts/{account_id}/images/v2");
    const statsCall = inTrace.find((s) => s.name === "GET /accounts/{account_id}/images/v1/stats");
    expect(list?.parentSpanId).toBe(images?.spanId);
    expect(statsCall?.parentSpanId).toBe(stats?.spanId);
    expect(attribute(list as ExportedSpan, "http.response.status_code")).toBe(200);
    // Fields that only expose a property of their parent get no span of their own.
    expect(inTrace.some((s) => s.name === "Image.filename")).toBe(false);
  });

  it("is off when no OTLP endpoint is set", async () => {
    const before = exports.length;
    const stack = await startInProcessStack();
    await stack.gql("{ stats { current } }");
    await stack.close();
    expect(stack.config.observability.tracing).toBeUndefined();
    expect(exports.length).toBe(before);
  });
});
