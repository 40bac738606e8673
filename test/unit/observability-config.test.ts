import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.ts";

describe("observability settings", () => {
  it("default to info logs, metrics on, a 10 s readiness cache and no tracing", () => {
    expect(loadConfig({}).observability).toEqual({
      logLevel: "info",
      metrics: true,
      readinessCacheSeconds: 10,
      tracing: undefined,
    });
  });

  it("follow the OpenTelemetry variables: /v1/traces is appended to the generic endpoint only", () => {
    const generic = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc%3D%3D, x-tenant = images",
    }).observability.tracing;
    expect(generic).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      serviceName: "cloudflare-images-graphql",
      headers: { "x-api-key": "abc==", "x-tenant": "images" },
    });
    const specific = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/otlp",
      OTEL_SERVICE_NAME: "images-eu",
    }).observability.tracing;
    expect(specific).toMatchObject({ tracesUrl: "https://traces.example/otlp", serviceName: "images-eu" });
  });

  it("name each bad value, and never echo the OTLP headers, which often hold a credential", () => {
    let error: unknown;
    try {
      loadConfig({
        LOG_LEVEL: "loud",
        METRICS: "maybe",
        OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://collector",
        OTEL_EXPORTER_OTLP_HEADERS: "secret-without-a-name",
        READINESS_CACHE_SECONDS: "-1",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of [
      "LOG_LEVEL",
      "METRICS",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_EXPORTER_OTLP_HEADERS",
      "READINESS_CACHE_SECONDS",
    ]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain("secret-without-a-name");
  });
});
