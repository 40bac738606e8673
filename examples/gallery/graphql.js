// A tiny GraphQL client for the gallery: queries and mutations as POST application/json (which the
// server's CSRF rules let through without extra headers), subscriptions over SSE in graphql-sse's
// "distinct connections" mode: one POST with `accept: text/event-stream` per subscription.

const ENDPOINT = "/graphql";

/** Bearer credentials, when the server wants them (AUTH_MODE api-key or jwt); kept for this tab only. */
export const credentials = {
  get token() {
    return sessionStorage.getItem("gallery-token") ?? "";
  },
  set token(value) {
    if (value) sessionStorage.setItem("gallery-token", value);
    else sessionStorage.removeItem("gallery-token");
  },
};

function headers(accept) {
  const h = { "content-type": "application/json", accept };
  if (credentials.token) h.authorization = `Bearer ${credentials.token}`;
  return h;
}

export class GraphQLRequestError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.errors = errors;
  }
}

/** The whole answer: `data` may be partial, `errors` lists field errors (e.g. a private image's srcset). */
export async function request(query, variables = {}) {
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers: headers("application/graphql-response+json, application/json"),
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }));
  if (!body.data) throw new GraphQLRequestError(body.errors ?? [{ message: `HTTP ${response.status}` }]);
  return body;
}

/**
 * Calls `onNext` with each result of a subscription until the server completes it. Resolves then;
 * `signal` ends it early (the server stops its work for us).
 */
export async function subscribe(query, variables, onNext, signal) {
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers: headers("text/event-stream"),
    body: JSON.stringify({ query, variables }),
    signal,
  });
  if (!response.ok || !response.body) throw new Error(`subscription refused: HTTP ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event.name === "complete") {
        await reader.cancel();
        return;
      }
      if (event.name === "next" && event.data) onNext(JSON.parse(event.data));
      end = buffer.indexOf("\n\n");
    }
  }
}

function parseEvent(text) {
  let name = "message";
  const data = [];
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) continue;
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  return { name, data: data.join("\n") };
}
