// The JSON API as the pages use it: docs/api.md is the reference. Every
// call takes the service's base URL: "" on the service's own pages, the
// service's origin in the embed script on someone else's page.

export type Harness = "program" | "example" | "mock" | "serve" | "test";

export interface ExecuteRequest {
  harness: Harness;
  /** src/main.rs. */
  stub: string;
  /** The project's other files, by relative path; absent for a single file. */
  files?: Record<string, string>;
  args: Record<string, unknown>;
  /** Decimal digits, 0 … 2⁶⁴−1; empty lets the service derive one. */
  seed: string;
}

export interface Diagnostic {
  level: string;
  message: string;
  /** The project file it is in; absent for a single stub's (and src/main.rs's in some answers). */
  file?: string;
  /** In the stub's own numbering; absent when it points into harness code. */
  line?: number;
  column?: number;
}

export interface Usage {
  wall_ms: number;
  cpu_ms: number;
  peak_memory_bytes: number;
  limit?: string;
}

export interface CompileReport {
  success: boolean;
  exit_code: number;
  stderr: string;
  diagnostics: Diagnostic[];
  duration_ms: number;
  cached: boolean;
  module_bytes?: number;
  usage: Usage;
}

export interface HTTPResponse {
  status?: number;
  reason?: string;
  headers?: Record<string, string>;
  body?: string;
  body_encoding?: string;
  error?: string;
}

/** One test of a `test` run, with its own output. */
export interface TestReport {
  name: string;
  status: "ok" | "failed" | "ignored" | "not_run";
  should_panic?: boolean;
  limit?: string;
  reason?: string;
  stdout?: string;
  stderr?: string;
}

export interface RunResult {
  responses?: HTTPResponse[];
  tests?: TestReport[];
  passed?: number;
  failed?: number;
  ignored?: number;
  not_run?: number;
  filtered_out?: number;
  log?: string;
  error?: string;
}

export interface RunReport {
  exit_code: number | null;
  trap?: string;
  stdout: string;
  stderr: string;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  duration_ms: number;
  usage: Usage;
  result?: RunResult;
}

export interface Verdict {
  outcome: string;
  reason?: string;
}

export interface ExecuteResponse {
  status: string;
  harness: string;
  seed: string;
  cache?: { result: string; module?: string };
  compile: CompileReport | null;
  run: RunReport | null;
  result?: Verdict;
}

/** A refusal: the API's error shape, with the HTTP status. */
export class Refusal extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const maxSeed = 18446744073709551615n;

/** Whether s is a seed the API takes: decimal digits within 64 bits. */
export function validSeed(s: string): boolean {
  return /^[0-9]{1,20}$/.test(s) && BigInt(s) <= maxSeed;
}

/**
 * The request body. The seed is written as a bare JSON integer by hand:
 * it is 64-bit, and a JavaScript number would round it.
 */
export function encodeRequest(req: ExecuteRequest): string {
  const files = req.files && Object.keys(req.files).length ? { files: req.files } : {};
  return withSeed(JSON.stringify({ harness: req.harness, stub: req.stub, ...files, args: req.args }), req.seed);
}

function withSeed(body: string, seed: string): string {
  if (seed === "") return body;
  if (!validSeed(seed)) throw new Error("the seed must be an integer from 0 to 18446744073709551615");
  return body.slice(0, -1) + `,"seed":${BigInt(seed).toString()}}`;
}

/** POSTs body as JSON; a 2xx answer's JSON resolves, anything else rejects with a Refusal. */
async function postJSON<T>(base: string, path: string, body: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body,
    signal,
  });
  return readJSON<T>(res);
}

async function readJSON<T>(res: Response): Promise<T> {
  const text = await res.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Refusal(res.status, "internal_error", `the service answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) throw refusalOf(res.status, data);
  return data as T;
}

function refusalOf(httpStatus: number, data: unknown): Refusal {
  const p = (data ?? {}) as { status?: string; error?: string; field?: string };
  return new Refusal(httpStatus, p.status ?? "internal_error", p.error ?? `HTTP ${httpStatus}`, p.field);
}

/**
 * Runs req through POST /api/v1/execute. A result (whatever became of the
 * program) resolves; a refusal rejects with a Refusal.
 */
export function execute(req: ExecuteRequest, signal?: AbortSignal, base = ""): Promise<ExecuteResponse> {
  return postJSON<ExecuteResponse>(base, "/api/v1/execute", encodeRequest(req), signal);
}

/** A phase of a run as the stream reports it, before its result. */
export type Phase =
  | { phase: "queued"; position: number }
  | { phase: "compiling" }
  | { phase: "compiled"; status: string; diagnostics: Diagnostic[] }
  | { phase: "running" };

/** One Server-Sent Event. */
export interface SSEvent {
  event: string;
  data: string;
}

/**
 * SSEParser splits a text/event-stream into events as the chunks come
 * (the WHATWG rules the page needs: "event:" and "data:" fields, comment
 * lines, CR/LF/CRLF line ends, an event ending at a blank line).
 */
export class SSEParser {
  private buf = "";
  private event = "";
  private data: string[] = [];

  push(chunk: string): SSEvent[] {
    this.buf += chunk;
    const out: SSEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      // A lone CR at the end may be half of a CRLF: wait for more.
      if (!m || (m[0] === "\r" && m.index === this.buf.length - 1)) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      if (line === "") {
        if (this.data.length) out.push({ event: this.event || "message", data: this.data.join("\n") });
        this.event = "";
        this.data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") this.event = value;
      else if (field === "data") this.data.push(value);
    }
    return out;
  }
}

/**
 * Runs req through POST /api/v1/execute/stream, calling onPhase as the
 * service reports queueing, compiling and running, and resolves with the
 * same result execute would. A refusal rejects with a Refusal, whether it
 * came before the stream (the usual JSON error) or as its `error` event.
 */
export async function executeStream(
  req: ExecuteRequest,
  onPhase: (p: Phase) => void,
  signal?: AbortSignal,
  base = "",
): Promise<ExecuteResponse> {
  const res = await fetch(base + "/api/v1/execute/stream", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: encodeRequest(req),
    signal,
  });
  // A service without the streaming route answers the plain way.
  if (res.status === 404) return execute(req, signal, base);
  if (!(res.headers.get("Content-Type") ?? "").startsWith("text/event-stream") || !res.body) {
    return readJSON<ExecuteResponse>(res);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SSEParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const ev of parser.push(value)) {
        const data = JSON.parse(ev.data);
        switch (ev.event) {
          case "queued":
            onPhase({ phase: "queued", position: data.position ?? 0 });
            break;
          case "compiling":
          case "running":
            onPhase({ phase: ev.event });
            break;
          case "compiled":
            onPhase({ phase: "compiled", status: data.status, diagnostics: data.diagnostics ?? [] });
            break;
          case "result":
            return data as ExecuteResponse;
          case "error":
            throw refusalOf(data.http_status ?? 500, data);
        }
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  throw new Refusal(0, "internal_error", "the stream ended without a result");
}

export interface FormatResponse {
  status: "ok" | "format_error";
  stub?: string;
  stderr?: string;
}

/** Formats a stub with rustfmt (POST /api/v1/format). */
export function format(stub: string, edition: string | undefined, signal?: AbortSignal): Promise<FormatResponse> {
  return postJSON<FormatResponse>("", "/api/v1/format", JSON.stringify(edition ? { stub, edition } : { stub }), signal);
}

export interface ClippyResponse {
  status: string;
  compile: CompileReport;
}

/** Lints req's stub with Clippy (POST /api/v1/clippy): the execute body, diagnostics back. */
export function clippy(req: ExecuteRequest, signal?: AbortSignal): Promise<ClippyResponse> {
  return postJSON<ClippyResponse>("", "/api/v1/clippy", encodeRequest(req), signal);
}

/** The editor's state as a share holds it. */
export interface ShareState {
  harness: Harness;
  stub: string;
  args: Record<string, unknown>;
  seed: string;
}

/** Stores state (POST /api/v1/shares) and resolves with its id and URL path. */
export function createShare(state: ShareState, signal?: AbortSignal): Promise<{ id: string; url: string }> {
  const body = withSeed(JSON.stringify({ harness: state.harness, stub: state.stub, args: state.args }), state.seed);
  return postJSON<{ id: string; url: string }>("", "/api/v1/shares", `{"state":${body}}`, signal);
}

/** Loads a share's state (GET /api/v1/shares/{id}). */
export async function getShare(id: string, signal?: AbortSignal): Promise<ShareState> {
  const res = await fetch(`/api/v1/shares/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" }, signal });
  const text = await res.clone().text();
  const data = await readJSON<{ state: { harness?: Harness; stub?: string; args?: Record<string, unknown>; seed?: unknown } }>(res);
  return decodeState(data.state, text);
}

/**
 * The state out of a share's JSON. A seed stored as a JSON number may be
 * beyond 2⁵³, where JSON.parse rounds it, so its digits are taken from
 * the text itself (the one "seed" key of the state object).
 */
export function decodeState(
  s: { harness?: Harness; stub?: string; args?: Record<string, unknown>; seed?: unknown },
  text: string,
): ShareState {
  let seed = "";
  if (typeof s.seed === "string") seed = s.seed;
  else if (typeof s.seed === "number") seed = /"seed"\s*:\s*([0-9]+)/.exec(text)?.[1] ?? String(s.seed);
  return { harness: s.harness ?? "program", stub: s.stub ?? "", args: s.args ?? {}, seed };
}
