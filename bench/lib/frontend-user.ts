// One user of a gallery frontend: a page of 20 with variant URLs, the details of 3 of them, sometimes
// the next page through the real cursor; now and then an edit of an image's metadata, rarely an upload
// or a delete of an image the bench uploaded. Every read is checked against the writes answered
// before it started.
import { Agent } from "undici";
import { samplePng } from "../../src/emulator/samples/index.ts";
import type { Observation, StaleReadChecker } from "./stale-reads.ts";

/** Of the writes: metadata edits, then uploads; the rest deletes the bench's own uploads. */
const UPDATE_SHARE = 0.8;
const UPLOAD_SHARE = 0.1;
const NEXT_PAGE_SHARE = 0.5;

const PAGE = `query Gallery($after: String) {
  images(first: 20, after: $after) {
    edges { cursor node { id imageId filename meta url(variant: "thumb") variants { name url } } }
    pageInfo { endCursor hasNextPage }
  }
}`;
const DETAILS = `query Details($id: ID!) {
  image(imageId: $id) { id imageId filename creator meta uploaded url(variant: "hero") variants { name url } }
}`;
const UPDATE = `mutation Edit($input: UpdateImageInput!) {
  updateImage(input: $input) { __typename ... on UpdateImagePayload { image { imageId meta } } }
}`;
const UPLOAD = `mutation Upload($input: UploadImageInput!) {
  uploadImage(input: $input) { __typename ... on UploadImagePayload { image { imageId } } }
}`;
const DELETE = `mutation Delete($input: DeleteImageInput!) { deleteImage(input: $input) { __typename } }`;

export interface Tally {
  requests: number;
  /** Answered without any error. */
  answered: number;
  rateLimited: number;
  otherErrors: number;
  latenciesMs: number[];
  firstErrors: string[];
  /** Why writes were refused (a write's expected failures are union members, not errors). */
  firstWriteFailures: string[];
  writes: { updates: number; uploads: number; deletes: number; failed: number };
}

export interface Traffic {
  /** The facades, in the order a round-robin load balancer hands out requests. */
  origins: readonly string[];
  checker: StaleReadChecker;
  tally: Tally;
  /** Images with a write in flight: one writer per image at a time keeps the checker exact. */
  writing: Set<string>;
  /** The bench's own uploads still there: what a user may delete. */
  uploaded: string[];
  started: number;
  deadline: number;
  thinkMs: number;
  /**
   * Writes per second across all users: a fixed rate, not a share of the reads, so that the faster
   * the facade answers the more it reads, as a gallery's visitors do, while its editors write as often.
   */
  writesPerSecond: number;
  writesStarted: number;
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

interface PageNode {
  imageId: string;
  meta: Record<string, unknown>;
}

interface Page {
  edges: { node: PageNode }[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

export function newTally(): Tally {
  return {
    requests: 0,
    answered: 0,
    rateLimited: 0,
    otherErrors: 0,
    latenciesMs: [],
    firstErrors: [],
    firstWriteFailures: [],
    writes: { updates: 0, uploads: 0, deletes: 0, failed: 0 },
  };
}

let nextOrigin = 0;
let nextRev = 1;

/** Browses until the deadline; user `n` speaks from its own loopback address, as a browser has its own. */
export async function browse(n: number, traffic: Traffic): Promise<void> {
  const agent = new Agent({ localAddress: `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`, connections: 4 });
  const user = new User(agent, traffic);
  try {
    let after: string | null = null;
    while (performance.now() < traffic.deadline) after = await user.cycle(after);
  } finally {
    await agent.close();
  }
}

class User {
  readonly agent: Agent;
  readonly traffic: Traffic;

  constructor(agent: Agent, traffic: Traffic) {
    this.agent = agent;
    this.traffic = traffic;
  }

  /** One page and what the user does on it; returns the cursor of the page to load next. */
  async cycle(after: string | null): Promise<string | null> {
    const { checker } = this.traffic;
    const page = await this.send(JSON.stringify({ query: PAGE, variables: { after } }));
    const images = page.body?.data?.images as Page | undefined;
    if (!images) return null;
    for (const { node } of images.edges) checker.observe(node.imageId, present(node.meta), page.startedAt);
    const shown = images.edges.map((edge) => edge.node.imageId);
    for (const id of pickSome(shown, 3)) await this.details(id);
    await this.maybeWrite(shown);
    return images.pageInfo.hasNextPage && Math.random() < NEXT_PAGE_SHARE ? images.pageInfo.endCursor : null;
  }

  /** One write when the rate says one is due. */
  async maybeWrite(shown: string[]): Promise<void> {
    const traffic = this.traffic;
    const due = Math.floor(((performance.now() - traffic.started) / 1000) * traffic.writesPerSecond);
    if (traffic.writesStarted >= due) return;
    traffic.writesStarted += 1;
    const roll = Math.random();
    if (roll < UPDATE_SHARE) await this.update(shown);
    else if (roll < UPDATE_SHARE + UPLOAD_SHARE || traffic.uploaded.length === 0) await this.upload();
    else await this.remove();
  }

  async details(imageId: string): Promise<void> {
    if (performance.now() >= this.traffic.deadline) return;
    const answer = await this.send(JSON.stringify({ query: DETAILS, variables: { id: imageId } }));
    // An answer with errors says nothing about the image's state.
    if (!answer.body?.data || answer.body.errors) return;
    const image = answer.body.data.image as PageNode | null;
    this.traffic.checker.observe(imageId, image ? present(image.meta) : { present: false }, answer.startedAt);
  }

  async update(shown: string[]): Promise<void> {
    const { writing, checker, tally } = this.traffic;
    const imageId = shown.find((id) => !writing.has(id));
    if (!imageId) return;
    const rev = nextRev++;
    writing.add(imageId);
    try {
      const metadata = { rev, title: `Edited photo r${rev}` };
      const answer = await this.send(JSON.stringify({ query: UPDATE, variables: { input: { imageId, metadata } } }));
      if (!succeeded(answer.body, "updateImage")) return failedWrite(tally, answer.body);
      checker.written(imageId, rev, answer.answeredAt);
      tally.writes.updates += 1;
    } finally {
      writing.delete(imageId);
    }
    // The user looks at what they saved, most likely through another replica.
    await this.details(imageId);
  }

  async upload(): Promise<void> {
    const { checker, tally, uploaded } = this.traffic;
    const boundary = `frontend${Math.random().toString(16).slice(2)}`;
    const operations = { query: UPLOAD, variables: { input: { file: null, metadata: { rev: 0, title: "New" } } } };
    const head =
      `--${boundary}\r\ncontent-disposition: form-data; name="operations"\r\n\r\n${JSON.stringify(operations)}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="0"; filename="new.png"\r\ncontent-type: image/png\r\n\r\n`;
    const file = samplePng(8, 8, Math.floor(Math.random() * 1e6));
    const body = Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const answer = await this.send(body, {
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "apollo-require-preflight": "true",
    });
    const result = answer.body?.data?.uploadImage as { image?: { imageId: string } } | undefined;
    if (!succeeded(answer.body, "uploadImage") || !result?.image) return failedWrite(tally, answer.body);
    checker.written(result.image.imageId, 0, answer.answeredAt);
    tally.writes.uploads += 1;
    uploaded.push(result.image.imageId);
    await this.details(result.image.imageId);
  }

  async remove(): Promise<void> {
    const { checker, tally, uploaded, writing } = this.traffic;
    const at = uploaded.findIndex((id) => !writing.has(id));
    if (at < 0) return;
    const [imageId] = uploaded.splice(at, 1) as [string];
    writing.add(imageId);
    checker.deleting(imageId);
    const answer = await this.send(JSON.stringify({ query: DELETE, variables: { input: { imageId } } }));
    writing.delete(imageId);
    if (!succeeded(answer.body, "deleteImage")) return failedWrite(tally, answer.body);
    checker.deleted(imageId, answer.answeredAt);
    tally.writes.deletes += 1;
    await this.details(imageId);
  }

  /** POSTs to the next facade in turn; counts, times and classifies the answer. */
  async send(
    body: string | Buffer,
    headers: Record<string, string> = { "content-type": "application/json" },
  ): Promise<{ body: GraphQLBody | undefined; startedAt: number; answeredAt: number }> {
    const { origins, tally, thinkMs } = this.traffic;
    if (thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * thinkMs));
    const origin = origins[nextOrigin++ % origins.length] as string;
    const startedAt = performance.now();
    let parsed: GraphQLBody | undefined;
    let problem: string | undefined;
    try {
      const response = await this.agent.request({
        origin,
        path: "/graphql",
        method: "POST",
        headers: { accept: "application/graphql-response+json, application/json", ...headers },
        body,
      });
      const text = await response.body.text();
      parsed = JSON.parse(text) as GraphQLBody;
      if (response.statusCode !== 200 && !parsed.errors) problem = `${response.statusCode} ${text.slice(0, 200)}`;
    } catch (error) {
      problem = String(error);
    }
    const answeredAt = performance.now();
    tally.requests += 1;
    tally.latenciesMs.push(answeredAt - startedAt);
    const codes = (parsed?.errors ?? []).map((e) => e.extensions?.code ?? "(no code)");
    if (codes.includes("RATE_LIMITED")) tally.rateLimited += 1;
    else if (problem || codes.length > 0) {
      tally.otherErrors += 1;
      if (tally.firstErrors.length < 10)
        tally.firstErrors.push(problem ?? JSON.stringify(parsed?.errors).slice(0, 300));
    } else tally.answered += 1;
    return { body: parsed, startedAt, answeredAt };
  }
}

function present(meta: Record<string, unknown>): Observation {
  return { present: true, rev: typeof meta.rev === "number" ? meta.rev : 0 };
}

/** A mutation's payload arrived (its expected failures are other union members). */
function succeeded(body: GraphQLBody | undefined, field: string): boolean {
  const result = body?.data?.[field] as { __typename?: string } | undefined;
  return !body?.errors && typeof result?.__typename === "string" && result.__typename.endsWith("Payload");
}

function failedWrite(tally: Tally, body: GraphQLBody | undefined): void {
  tally.writes.failed += 1;
  if (tally.firstWriteFailures.length < 10) tally.firstWriteFailures.push(JSON.stringify(body).slice(0, 300));
}

function pickSome<T>(items: readonly T[], count: number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0)
    picked.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0] as T);
  return picked;
}
