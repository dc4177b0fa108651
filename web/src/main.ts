// The playground page: wires the editor, the harness picker and its
// arguments, the seed and the Run button to the API and the results.
import "./style.css";
import type { EditorState } from "@codemirror/state";
import { execute, type ExecuteRequest, type Harness, Refusal, validSeed } from "./api";
import { h } from "./dom";
import { Editor } from "./editor";
import { RequestList, type RequestRow, RowError } from "./requests";
import { renderRefusal, renderResponse } from "./results";
import { starterRequests, starters } from "./starters";

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

const form = byId<HTMLFormElement>("playground");
const harnessSelect = byId<HTMLSelectElement>("harness");
const seedInput = byId<HTMLInputElement>("seed");
const runButton = byId<HTMLButtonElement>("run");
const stdinInput = byId<HTMLTextAreaElement>("stdin");
const attrsInput = byId<HTMLInputElement>("attrs");
const results = byId<HTMLElement>("results");

const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? "";
const editor = new Editor(byId("editor"), "editor-label", "editor-help", nonce, () => form.requestSubmit());
const requests = new RequestList(byId("request-list"), byId("add-request"));

// Each harness keeps its own code (and undo history) and, for mock and
// serve, its own requests, so switching back and forth loses nothing.
const saved = new Map<Harness, EditorState>();
const savedRequests = new Map<Harness, RequestRow[]>();
let harness = harnessSelect.value as Harness;

function show(h: Harness): void {
  editor.load(saved.get(h) ?? editor.create(starters[h]));
  if (h === "mock" || h === "serve") requests.set(savedRequests.get(h) ?? starterRequests[h]);
  for (const el of document.querySelectorAll<HTMLElement>(".opts")) {
    el.hidden = !(el.dataset.harness ?? "").split(" ").includes(h);
  }
  harness = h;
}

harnessSelect.addEventListener("change", () => {
  saved.set(harness, editor.state);
  if (harness === "mock" || harness === "serve") savedRequests.set(harness, requests.values());
  show(harnessSelect.value as Harness);
});

function args(): Record<string, unknown> {
  switch (harness) {
    case "program":
      return stdinInput.value ? { stdin: stdinInput.value } : {};
    case "example":
      return { attrs: attrsInput.value };
    case "mock":
    case "serve":
      return { requests: requests.requests() };
  }
}

let inFlight: AbortController | null = null;

async function run(): Promise<void> {
  if (inFlight) return;
  const seed = seedInput.value.trim();
  if (seed !== "" && !validSeed(seed)) {
    seedInput.setAttribute("aria-invalid", "true");
    showNodes([h("p", { class: "error" }, "The seed must be an integer from 0 to 18446744073709551615, or empty.")]);
    seedInput.focus();
    return;
  }
  seedInput.removeAttribute("aria-invalid");
  let req: ExecuteRequest;
  try {
    req = { harness, stub: editor.text, args: args(), seed };
  } catch (e) {
    if (!(e instanceof RowError)) throw e;
    showNodes([h("p", { class: "error" }, e.message)]);
    e.control.focus();
    return;
  }

  inFlight = new AbortController();
  // aria-disabled, not disabled: a disabled button would drop the focus.
  runButton.setAttribute("aria-disabled", "true");
  runButton.textContent = "Running…";
  results.setAttribute("aria-busy", "true");
  editor.mark([]);
  try {
    const resp = await execute(req, inFlight.signal);
    editor.mark(resp.compile?.diagnostics ?? []);
    showNodes(renderResponse(resp, {
      jump: (line, column) => editor.jump(line, column),
      useSeed: (s) => {
        seedInput.value = s;
        seedInput.focus();
      },
    }));
  } catch (e) {
    if (e instanceof Refusal) showNodes(renderRefusal(e));
    else showNodes([h("p", { class: "error" }, `The service could not be reached: ${String(e)}`)]);
  } finally {
    inFlight = null;
    runButton.removeAttribute("aria-disabled");
    runButton.textContent = "Run";
    results.setAttribute("aria-busy", "false");
  }
}

function showNodes(nodes: Node[]): void {
  results.replaceChildren(h("h2", { id: "results-heading" }, "Result"), ...nodes);
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  void run();
});

// Ctrl/Cmd+Enter runs from anywhere on the page, not only the editor.
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
    e.preventDefault();
    form.requestSubmit();
  }
});

show(harness);
