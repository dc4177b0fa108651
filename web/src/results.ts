// Rendering an answer of the API into the results region: status, verdict,
// diagnostics (each a button that moves the editor's cursor there), the
// program's output, each HTTP response, timings and the cache tier.
import type { CompileReport, Diagnostic, ExecuteResponse, HTTPResponse, Phase, Refusal, RunReport, RunResult } from "./api";
import { h } from "./dom";

export interface ResultActions {
  /** Move the editor's cursor to a diagnostic (in file, when it names one); without it, diagnostics are text. */
  jump?(line: number, column: number, file?: string): void;
  /** Put this seed in the seed field; without it, the seed is only shown. */
  useSeed?(seed: string): void;
}

export function renderResponse(r: ExecuteResponse, act: ResultActions): Node[] {
  const out: Node[] = [summary(r, act)];
  if (r.compile) out.push(...compileSection(r.compile, act));
  if (r.run) out.push(...runSection(r.run));
  return out;
}

export function renderRefusal(e: Refusal): Node[] {
  return [
    h("p", {},
      h("span", { class: "badge status-refused" }, e.status), " ",
      `HTTP ${e.httpStatus}: ${e.message}`,
      e.field ? ` (field: ${e.field})` : ""),
  ];
}

function summary(r: ExecuteResponse, act: ResultActions): HTMLElement {
  let seedButton: HTMLElement | null = null;
  if (act.useSeed) {
    const use = act.useSeed;
    seedButton = h("button", { type: "button", class: "link" }, "use this seed");
    seedButton.addEventListener("click", () => use(r.seed));
  }
  const facts = h("dl", { class: "facts" });
  const fact = (k: string, ...v: (Node | string | null)[]) => facts.append(h("dt", {}, k), h("dd", {}, ...v));
  fact("Harness", r.harness);
  fact("Seed", h("code", {}, r.seed), seedButton ? " " : "", seedButton);
  if (r.compile) fact("Compile", `${r.compile.duration_ms} ms${r.compile.cached ? " (module cached)" : ""}`);
  if (r.run) fact("Run", `${r.run.duration_ms} ms`);
  if (r.cache) fact("Cache", `result: ${r.cache.result}${r.cache.module ? `, module: ${r.cache.module}` : ""}`);
  // The verdict of an example right under the status: it is the answer
  // a reader of a doctest wants first.
  const verdict = r.result && h("p", { class: "verdict" },
    h("strong", {}, "Verdict: "),
    h("span", { class: `badge outcome-${r.result.outcome}` }, r.result.outcome),
    r.result.reason ? ` — ${r.result.reason}` : "");
  return h("div", { class: "summary" },
    h("p", { class: "status-line" }, "Status: ", h("span", { class: `badge status-${r.status}` }, r.status)),
    verdict,
    facts);
}

export function compileSection(c: CompileReport, act: ResultActions): Node[] {
  const out: Node[] = [];
  const diags = c.diagnostics ?? [];
  if (diags.length) {
    out.push(h("h3", {}, `Diagnostics (${diags.length})`));
    const list = h("ul", { class: "diagnostics" });
    for (const d of diags) list.append(h("li", {}, diagnostic(d, act)));
    out.push(list);
  }
  if (c.usage?.limit) out.push(h("p", {}, `The compile hit its ${c.usage.limit} limit.`));
  if (c.stderr) {
    out.push(h("details", c.success ? {} : { open: "" }, h("summary", {}, "Compiler output"), h("pre", {}, c.stderr)));
  }
  return out;
}

function diagnostic(d: Diagnostic, act: ResultActions): Node {
  const text = `${d.level}: ${d.message}`;
  if (!d.line) return h("span", { class: `diag diag-${d.level}` }, text, h("span", { class: "help" }, " (in harness code)"));
  const col = d.column ?? 1;
  const inFile = d.file && d.file !== "src/main.rs" ? `${d.file}:` : "";
  const pos = h("span", { class: "pos" }, `${inFile}${d.line}:${col}`);
  if (!act.jump) return h("span", { class: `diag diag-${d.level}` }, pos, " ", text);
  const jump = act.jump;
  const b = h("button", { type: "button", class: `diag diag-${d.level}` }, pos, " ", text);
  b.addEventListener("click", () => jump(d.line!, col, d.file));
  return b;
}

function runSection(run: RunReport): Node[] {
  const out: Node[] = [h("h3", {}, "Run")];
  const facts: string[] = [];
  facts.push(run.exit_code === null ? "did not exit" : `exit code ${run.exit_code}`);
  if (run.trap) facts.push(`trap: ${run.trap}`);
  if (run.usage?.limit) facts.push(`hit its ${run.usage.limit} limit`);
  out.push(h("p", {}, facts.join("; ")));
  out.push(stream("Standard output", run.stdout, run.stdout_truncated));
  if (run.stderr || run.stderr_truncated) out.push(stream("Standard error", run.stderr, run.stderr_truncated));
  const result = run.result;
  if (result?.error) out.push(h("p", { class: "error" }, result.error));
  if (result?.tests) out.push(...testsSection(result));
  (result?.responses ?? []).forEach((resp, i) => out.push(response(resp, i)));
  if (result?.log) out.push(h("details", {}, h("summary", {}, "App log"), h("pre", {}, result.log)));
  return out;
}

/** A test run's tests, one row each with its status and its own output, and the counts. */
function testsSection(r: RunResult): Node[] {
  const tests = r.tests ?? [];
  const counts = [`${r.passed ?? 0} passed`, `${r.failed ?? 0} failed`, `${r.ignored ?? 0} ignored`];
  if (r.not_run) counts.push(`${r.not_run} not run`);
  if (r.filtered_out) counts.push(`${r.filtered_out} filtered out`);
  const list = h("ul", { class: "tests" });
  for (const t of tests) {
    const out = [t.stdout, t.stderr].filter((x) => x).join("\n");
    list.append(h("li", { class: `test test-${t.status}` },
      h("span", { class: `badge test-status outcome-${t.status === "ok" ? "passed" : t.status}` }, t.status), " ",
      h("code", { class: "test-name" }, t.name),
      t.should_panic ? " (should panic)" : "",
      t.reason ? ` — ${t.reason}` : "",
      t.limit ? ` (hit its ${t.limit} limit)` : "",
      out ? h("details", t.status === "failed" ? { open: "" } : {}, h("summary", {}, "Output"), h("pre", {}, out)) : null));
  }
  return [h("h4", {}, `Tests (${tests.length})`), list, h("p", { class: "test-summary" }, `Test result: ${counts.join("; ")}.`)];
}

function stream(title: string, text: string, truncated: boolean): Node {
  return h("div", { class: "stream" },
    h("h4", {}, title, truncated ? " (cut at the output limit)" : ""),
    text ? h("pre", {}, text) : h("p", { class: "help" }, "(empty)"));
}

function response(r: HTTPResponse, i: number): Node {
  const box = h("article", { class: "response" });
  if (r.error) {
    box.append(h("h4", {}, `Response ${i + 1}: none`), h("p", { class: "error" }, r.error));
    return box;
  }
  box.append(h("h4", {}, `Response ${i + 1}: `, h("span", { class: `badge http-${Math.floor((r.status ?? 0) / 100)}xx` }, `${r.status} ${r.reason ?? ""}`)));
  const headers = h("dl", { class: "headers" });
  for (const [k, v] of Object.entries(r.headers ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    headers.append(h("dt", {}, k), h("dd", {}, v));
  }
  box.append(h("details", {}, h("summary", {}, "Headers"), headers));
  box.append(...body(r));
  return box;
}

function body(r: HTTPResponse): Node[] {
  const text = r.body ?? "";
  if (text === "") return [h("p", { class: "help" }, "(empty body)")];
  if (r.body_encoding === "base64") return [h("p", { class: "help" }, "Body (not UTF-8, base64):"), h("pre", {}, text)];
  const type = (r.headers?.["content-type"] ?? "").toLowerCase();
  if (type.includes("json")) {
    try {
      return [h("pre", { class: "body" }, JSON.stringify(JSON.parse(text), null, 2))];
    } catch {
      // Not valid JSON after all: shown as it came.
    }
  }
  const out: Node[] = [h("pre", { class: "body" }, text)];
  if (type.startsWith("text/html")) {
    // sandbox="" gives the preview a unique origin and no scripts, forms,
    // popups or navigation; srcdoc also inherits this page's CSP.
    out.push(h("details", {}, h("summary", {}, "HTML preview"),
      h("iframe", { sandbox: "", srcdoc: text, title: "HTML preview of the response body", class: "preview" })));
  }
  return out;
}

/** What a run is doing while its result is on its way. */
export function phaseText(p: Phase): string {
  switch (p.phase) {
    case "queued":
      return p.position > 0 ? `Queued: ${p.position} ahead…` : "Queued…";
    case "compiling":
      return "Compiling…";
    case "compiled":
      return p.status === "ok" ? "Compiled." : "Compile failed.";
    case "running":
      return "Running…";
  }
}
