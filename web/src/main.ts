// The playground page: wires the editor, the harness picker and its
// arguments, the seed and the Run, Format, Clippy and Share buttons to the
// API and the results. It opens with the state of a share (/s/{id}), of
// an Edit link from the guide (#edit=…), or the harness's starter code.
import "./style.css";
import type { EditorState } from "@codemirror/state";
import {
  clippy,
  createShare,
  type ExecuteRequest,
  executeStream,
  format,
  getShare,
  type Harness,
  Refusal,
  type ShareState,
  validSeed,
} from "./api";
import type { Diagnostic } from "./api";
import { h } from "./dom";
import { badFileName, FileTabs, mainFile } from "./files";
import { Editor } from "./editor";
import { decodeHandoff } from "./handoff";
import { RequestList, type RequestRow, RowError, rowsOf } from "./requests";
import { compileSection, phaseText, renderRefusal, renderResponse } from "./results";
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
const formatButton = byId<HTMLButtonElement>("format");
const clippyButton = byId<HTMLButtonElement>("clippy");
const shareButton = byId<HTMLButtonElement>("share");
const shareOut = byId<HTMLElement>("share-out");
const shareURL = byId<HTMLInputElement>("share-url");
const stdinInput = byId<HTMLTextAreaElement>("stdin");
const attrsInput = byId<HTMLInputElement>("attrs");
const filterInput = byId<HTMLInputElement>("filter");
const results = byId<HTMLElement>("results");

const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? "";
const editor = new Editor(byId("editor"), "editor-label", "editor-help", nonce, () => form.requestSubmit());
const requests = new RequestList(byId("request-list"), byId("add-request"));
const fileName = byId<HTMLInputElement>("file-name");
const fileMsg = byId<HTMLElement>("file-msg");

// Each harness keeps its own code (and undo history) and, for mock and
// serve, its own requests, so switching back and forth loses nothing.
const saved = new Map<Harness, EditorState>();
const savedRequests = new Map<Harness, RequestRow[]>();
let harness = harnessSelect.value as Harness;

// The project's files other than src/main.rs (which is the harness's
// own, above), kept across harness switches; the tab the editor shows;
// the last answer's diagnostics, marked in whichever file is shown.
const extra = new Map<string, EditorState>();
let shown = mainFile;
let lastDiags: Diagnostic[] = [];

/** Puts the editor's state back where the shown file keeps it. */
function stash(): void {
  if (shown === mainFile) saved.set(harness, editor.state);
  else extra.set(shown, editor.state);
}

function inFile(diags: Diagnostic[], file: string): Diagnostic[] {
  return diags.filter((d) => (d.file ?? mainFile) === file);
}

const tabs = new FileTabs(byId("file-tabs"), (name) => {
  if (name === shown) return;
  stash();
  shown = name;
  editor.load(name === mainFile ? (saved.get(harness) ?? editor.create(starters[harness])) : extra.get(name)!);
  editor.mark(inFile(lastDiags, name));
});

byId("add-file").addEventListener("click", () => {
  const name = fileName.value.trim();
  const bad = badFileName(name, tabs.files);
  fileMsg.textContent = bad ?? `Added ${name}.`;
  if (bad) return fileName.focus();
  extra.set(name, editor.create(""));
  fileName.value = "";
  tabs.add(name);
  editor.view.focus();
});

byId("rename-file").addEventListener("click", () => {
  const name = fileName.value.trim();
  const from = tabs.current;
  const bad = from === mainFile ? "src/main.rs keeps its name: choose another file's tab first." : badFileName(name, tabs.files);
  fileMsg.textContent = bad ?? `Renamed ${from} to ${name}.`;
  if (bad) return fileName.focus();
  stash();
  extra.set(name, extra.get(from)!);
  extra.delete(from);
  shown = name;
  fileName.value = "";
  tabs.rename(from, name);
});

byId("remove-file").addEventListener("click", () => {
  const name = tabs.current;
  if (name === mainFile) {
    fileMsg.textContent = "src/main.rs cannot be removed: choose another file's tab first.";
    return;
  }
  tabs.remove(name);
  extra.delete(name);
  fileMsg.textContent = `Removed ${name}.`;
});

/** The harness's src/main.rs, whichever tab is shown. */
function mainText(): string {
  stash();
  return (saved.get(harness) ?? editor.create(starters[harness])).doc.toString();
}

function projectFiles(): Record<string, string> | undefined {
  stash();
  if (extra.size === 0) return undefined;
  return Object.fromEntries([...extra].map(([n, st]) => [n, st.doc.toString()]));
}

function show(h: Harness): void {
  tabs.choose(mainFile);
  editor.load(saved.get(h) ?? editor.create(starters[h]));
  if (h === "mock" || h === "serve") requests.set(savedRequests.get(h) ?? starterRequests[h]);
  for (const el of document.querySelectorAll<HTMLElement>(".opts")) {
    el.hidden = !(el.dataset.harness ?? "").split(" ").includes(h);
  }
  harness = h;
  harnessSelect.value = h;
}

harnessSelect.addEventListener("change", () => {
  tabs.choose(mainFile);
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
    case "test":
      return filterInput.value ? { filter: filterInput.value } : {};
  }
}

/** The request the form describes, or null after saying what is wrong with it. */
function currentRequest(): ExecuteRequest | null {
  const seed = seedInput.value.trim();
  if (seed !== "" && !validSeed(seed)) {
    seedInput.setAttribute("aria-invalid", "true");
    showNodes([h("p", { class: "error" }, "The seed must be an integer from 0 to 18446744073709551615, or empty.")]);
    seedInput.focus();
    return null;
  }
  seedInput.removeAttribute("aria-invalid");
  try {
    return { harness, stub: mainText(), files: projectFiles(), args: args(), seed };
  } catch (e) {
    if (!(e instanceof RowError)) throw e;
    showNodes([h("p", { class: "error" }, e.message)]);
    e.control.focus();
    return null;
  }
}

/** The button whose work is in flight; one thing at a time. */
let busy: HTMLButtonElement | null = null;

/**
 * Runs work with button marked busy (aria-disabled, not disabled: a
 * disabled button would drop the focus), and any refusal or network
 * failure shown in the results.
 */
async function withBusy(button: HTMLButtonElement, label: string, work: () => Promise<void>): Promise<void> {
  if (busy) return;
  busy = button;
  const text = button.textContent;
  button.setAttribute("aria-disabled", "true");
  button.textContent = label;
  results.setAttribute("aria-busy", "true");
  try {
    await work();
  } catch (e) {
    if (e instanceof Refusal) showNodes(renderRefusal(e));
    else showNodes([h("p", { class: "error" }, `The service could not be reached: ${String(e)}`)]);
  } finally {
    busy = null;
    button.removeAttribute("aria-disabled");
    button.textContent = text;
    results.setAttribute("aria-busy", "false");
  }
}

const actions = {
  jump: (line: number, column: number, file?: string) => {
    tabs.choose(file && tabs.files.includes(file) ? file : mainFile);
    editor.jump(line, column);
  },
  useSeed: (s: string) => {
    seedInput.value = s;
    seedInput.focus();
  },
};

function run(): Promise<void> {
  const req = currentRequest();
  if (!req) return Promise.resolve();
  return withBusy(runButton, "Running…", async () => {
    lastDiags = [];
    editor.mark([]);
    const phase = h("p", { class: "phase", id: "phase" }, "Sending…");
    showNodes([phase]);
    const resp = await executeStream(req, (p) => {
      phase.textContent = phaseText(p);
      if (p.phase === "compiled") editor.mark(inFile(p.diagnostics, shown));
    });
    lastDiags = resp.compile?.diagnostics ?? [];
    editor.mark(inFile(lastDiags, shown));
    showNodes(renderResponse(resp, actions));
  });
}

formatButton.addEventListener("click", () => {
  // rustfmt's edition: the block's, for an example with editionNNNN.
  const edition = harness === "example" ? /\bedition(\d{4})\b/.exec(attrsInput.value)?.[1] : undefined;
  if (!shown.endsWith(".rs")) {
    showNodes([h("p", { class: "error" }, `Format formats Rust: ${shown} is not a .rs file.`)]);
    return;
  }
  void withBusy(formatButton, "Formatting…", async () => {
    const before = editor.text;
    const r = await format(before, edition);
    if (r.status === "ok" && typeof r.stub === "string") {
      editor.replace(r.stub);
      showNodes([h("p", {}, r.stub === before ? "Already formatted." : "Formatted with rustfmt.")]);
    } else {
      showNodes([h("p", {}, h("span", { class: "badge status-compile_error" }, r.status), " rustfmt could not format this:"),
        h("pre", {}, r.stderr ?? "")]);
    }
  });
});

clippyButton.addEventListener("click", () => {
  const req = currentRequest();
  if (!req) return;
  void withBusy(clippyButton, "Linting…", async () => {
    editor.mark([]);
    const r = await clippy(req);
    const diags = r.compile?.diagnostics ?? [];
    lastDiags = diags;
    editor.mark(inFile(diags, shown));
    showNodes([
      h("p", { class: "status-line" }, "Clippy: ", h("span", { class: `badge status-${r.status}` }, r.status),
        diags.length ? "" : " — no lints."),
      ...(r.compile ? compileSection(r.compile, actions) : []),
    ]);
  });
});

shareButton.addEventListener("click", () => {
  const req = currentRequest();
  if (!req) return;
  if (req.files) {
    // The shares API keeps a stub, not a project's files.
    showNodes([h("p", { class: "error" }, "Shares keep a single file: remove the other files to share src/main.rs.")]);
    return;
  }
  void withBusy(shareButton, "Sharing…", async () => {
    const r = await createShare(req);
    const url = new URL(r.url, location.href).href;
    shareURL.value = url;
    shareOut.hidden = false;
    history.replaceState(null, "", r.url);
    shareURL.focus();
    shareURL.select();
  });
});

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

/** Puts a shared or handed-over state into the form. */
function restore(s: ShareState): void {
  const known: Harness[] = ["program", "example", "mock", "serve", "test"];
  const hs = known.includes(s.harness) ? s.harness : "program";
  show(hs);
  editor.load(editor.create(s.stub));
  seedInput.value = s.seed;
  const a = s.args;
  if (hs === "program") stdinInput.value = typeof a.stdin === "string" ? a.stdin : "";
  if (hs === "example") attrsInput.value = typeof a.attrs === "string" ? a.attrs : "rust";
  if (hs === "test") filterInput.value = typeof a.filter === "string" ? a.filter : "";
  if ((hs === "mock" || hs === "serve") && Array.isArray(a.requests)) requests.set(rowsOf(a.requests));
}

async function start(): Promise<void> {
  const m = /^\/s\/([A-Za-z0-9_-]+)$/.exec(location.pathname);
  const handoff = decodeHandoff(location.hash.slice(1));
  if (m) {
    show(harness);
    try {
      restore(await getShare(m[1]));
      shareURL.value = location.href;
      shareOut.hidden = false;
    } catch (e) {
      showNodes(e instanceof Refusal ? renderRefusal(e) : [h("p", { class: "error" }, `The share could not be loaded: ${String(e)}`)]);
    }
  } else if (handoff) {
    restore({ ...handoff, seed: "" });
    // The page's URL stays the playground's own.
    history.replaceState(null, "", location.pathname);
  } else {
    show(harness);
  }
}

void start();
