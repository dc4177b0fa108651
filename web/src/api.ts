// The JSON API as the page uses it: docs/api.md is the reference.

export type Harness = "program" | "example" | "mock" | "serve";

export interface ExecuteRequest {
  harness: Harness;
  stub: string;
  args: Record<string, unknown>;
  /** Decimal digits, 0 … 2⁶⁴−1; empty lets the service derive one. */
  seed: string;
}

export interface Diagnostic {
  level: string;
  message: string;
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

export interface RunResult {
  responses?: HTTPResponse[];
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
  const body = JSON.stringify({ harness: req.harness, stub: req.stub, args: req.args });
  if (req.seed === "") return body;
  if (!validSeed(req.seed)) throw new Error("the seed must be an integer from 0 to 18446744073709551615");
  return body.slice(0, -1) + `,"seed":${BigInt(req.seed).toString()}}`;
}

/**
 * Runs req through POST /api/v1/execute. A result (whatever became of the
 * program) resolves; a refusal rejects with a Refusal. This is the one
 * place the page talks to the service: progress over Server-Sent Events
 * will take its place here, with the same result at the end.
 */
export async function execute(req: ExecuteRequest, signal?: AbortSignal): Promise<ExecuteResponse> {
  const res = await fetch("/api/v1/execute", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: encodeRequest(req),
    signal,
  });
  const text = await res.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Refusal(res.status, "internal_error", `the service answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const p = data as { status?: string; error?: string; field?: string };
    throw new Refusal(res.status, p.status ?? "internal_error", p.error ?? `HTTP ${res.status}`, p.field);
  }
  return data as ExecuteResponse;
}
