import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import type * as OnResolve from "@envelop/on-resolve";
import { type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type * as Exporter from "@opentelemetry/exporter-trace-otlp-http";
import type * as Resources from "@opentelemetry/resources";
import type * as TraceSdk from "@opentelemetry/sdk-trace-base";
import { getOperationAST } from "graphql";
import type { Plugin, YogaInitialContext } from "graphql-yoga";
import type { TracingConfig } from "../../config/index.ts";
import type { TransportEvent } from "../../upstream/index.ts";
import { boundedOperationName } from "./operation-name.ts";
import { afterSettled, currentOperation } from "./use-operation-scope.ts";

export interface Tracing {
  readonly plugin: Plugin;
  onUpstreamEvent(event: TransportEvent): void;
  /** Sends the spans still buffered, then stops. */
  close(): Promise<void>;
}

/** The SDK and its exporter load only when tracing is configured: most servers never pay their start-up. */
const load = createRequire(import.meta.url);

/**
 * OpenTelemetry spans: one per GraphQL operation, one per resolver that does work, one per upstream
 * request, exported over OTLP/HTTP. The provider is not registered globally and the span context
 * travels in this module's own async storage: enabling tracing changes nothing outside this app.
 */
export function createTracing(config: TracingConfig): Tracing {
  const { useOnResolve } = load("@envelop/on-resolve") as typeof OnResolve;
  const { OTLPTraceExporter } = load("@opentelemetry/exporter-trace-otlp-http") as typeof Exporter;
  const { resourceFromAttributes } = load("@opentelemetry/resources") as typeof Resources;
  const { BasicTracerProvider, BatchSpanProcessor } = load("@opentelemetry/sdk-trace-base") as typeof TraceSdk;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": config.serviceName }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl, headers: { ...config.headers } })),
    ],
  });
  const tracer = provider.getTracer("cloudflare-images-graphql");
  const active = new AsyncLocalStorage<Context>();

  const resolverSpans = useOnResolve<YogaInitialContext>(
    ({ info, resolver, replaceResolver }) => {
      const field = info.parentType.getFields()[info.fieldName];
      // Fields that only read a property of their parent would drown the trace.
      if (field?.extensions?.pothosExposedField !== undefined) return;
      const parent = active.getStore() ?? ROOT_CONTEXT;
      const span = tracer.startSpan(
        `${info.parentType.name}.${info.fieldName}`,
        {
          attributes: {
            "graphql.field.name": info.fieldName,
            "graphql.field.path": pathOf(info.path),
            "graphql.parent.type": info.parentType.name,
          },
        },
        parent,
      );
      const inSpan = trace.setSpan(parent, span);
      replaceResolver((root, args, context, resolveInfo) =>
        active.run(inSpan, () => resolver(root, args, context, resolveInfo)),
      );
      return ({ result }) => {
        if (result instanceof Error) failed(span, result);
        span.end();
      };
    },
    { skipDefaultResolvers: true },
  );

  const plugin: Plugin = {
    onPluginInit({ addPlugin }) {
      addPlugin(resolverSpans);
    },
    instrumentation: {
      operation: (_payload, wrapped) => {
        const span = tracer.startSpan("graphql.operation", { kind: SpanKind.SERVER }, ROOT_CONTEXT);
        return active.run(trace.setSpan(ROOT_CONTEXT, span), () =>
          afterSettled(wrapped, (error) => {
            const record = currentOperation();
            if (error !== undefined) failed(span, error);
            else if (record && record.errorCodes.length > 0) {
              span.setAttribute("graphql.error.codes", [...new Set(record.errorCodes)]);
              span.setStatus({ code: SpanStatusCode.ERROR, message: record.errorCodes[0] ?? "error" });
            }
            if (record) span.setAttribute("upstream.calls", record.upstream.calls);
            span.end();
          }),
        );
      },
    },
    onExecute({ args }) {
      const span = trace.getSpan(active.getStore() ?? ROOT_CONTEXT);
      const operation = getOperationAST(args.document, args.operationName);
      if (!span || !operation) return;
      const name = operation.name && boundedOperationName(operation.name.value);
      span.updateName(name ? `${operation.operation} ${name}` : operation.operation);
      span.setAttribute("graphql.operation.type", operation.operation);
      if (name) span.setAttribute("graphql.operation.name", name);
    },
  };

  return {
    plugin,
    onUpstreamEvent(event) {
      const parent = active.getStore();
      // Calls outside a GraphQL operation (readiness probes) make no trace of their own.
      if (!parent) return;
      if (event.type === "response" || event.type === "failure") {
        const end = Date.now();
        const span = tracer.startSpan(
          `${event.method} ${event.route}`,
          {
            kind: SpanKind.CLIENT,
            startTime: end - event.durationMs,
            attributes: { "http.request.method": event.method, "url.template": event.route },
          },
          parent,
        );
        if (event.type === "response") {
          span.setAttribute("http.response.status_code", event.status);
          if (event.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${event.status}` });
        } else {
          span.setAttribute("error.type", event.error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: event.error });
        }
        span.end(end);
      } else {
        trace.getSpan(parent)?.addEvent(`upstream.${event.type}`, { "url.template": event.route });
      }
    },
    close: () => provider.shutdown(),
  };
}

function failed(span: Span, error: unknown): void {
  const name = error instanceof Error ? error.name : "Error";
  // The type only: messages can quote upstream answers.
  span.setAttribute("error.type", name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: name });
}

function pathOf(path: { prev: unknown; key: string | number } | undefined): string {
  const keys: (string | number)[] = [];
  for (let p = path; p; p = p.prev as typeof path) keys.unshift(p.key);
  return keys.join(".");
}
