// /embed.js: included by any page (<script src="https://SANDBOX/embed.js"
// defer></script>), it adds Run under every `pre > code.language-rust`,
// mdBook's markup included, and runs the block on the service it was
// loaded from, cross-origin (the page's origin must be in the service's
// server.allowed_origins). The block runs as a doctest (the example
// harness) with the fence attributes its classes carry. It brings no
// stylesheet: what little style it needs is set on its own elements, so
// the host page's CSP needs only to allow the script and connections to
// the service.
import { execute, type ExecuteResponse, Refusal } from "./api";
import { attrsOf } from "./embed-attrs";

const script = document.currentScript as HTMLScriptElement | null;
const base = script?.src ? new URL(script.src).origin : location.origin;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, style: Partial<CSSStyleDeclaration>, text = ""): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  Object.assign(e.style, style);
  if (text) e.textContent = text;
  return e;
}

const mono = "ui-monospace, Menlo, Consolas, monospace";

function summary(r: ExecuteResponse): string {
  const parts = [r.status];
  if (r.result) parts.push(`${r.result.outcome}${r.result.reason ? ": " + r.result.reason : ""}`);
  return parts.join(" · ");
}

function output(r: ExecuteResponse): string {
  if (r.compile && !r.compile.success) return r.compile.stderr;
  const run = r.run;
  if (!run) return "";
  return [run.stdout, run.stderr].filter((s) => s).join("\n");
}

function setUp(code: HTMLElement): void {
  const pre = code.parentElement as HTMLElement;
  const attrs = attrsOf(Array.from(code.classList));
  if (attrs === null || pre.dataset.rocketSandbox) return;
  pre.dataset.rocketSandbox = "1";
  const button = el("button", { font: "inherit", margin: "0.3em 0", cursor: "pointer" }, "Run");
  button.type = "button";
  button.className = "rocket-sandbox-run";
  const out = el("div", { fontFamily: mono, fontSize: "0.9em" });
  out.className = "rocket-sandbox-result";
  out.setAttribute("aria-live", "polite");
  pre.after(button, out);
  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-disabled")) return;
    button.setAttribute("aria-disabled", "true");
    out.replaceChildren(el("p", {}, "Running…"));
    try {
      const r = await execute({ harness: "example", stub: code.textContent ?? "", args: { attrs }, seed: "" }, undefined, base);
      const text = output(r);
      out.replaceChildren(el("p", { fontWeight: "600" }, summary(r)));
      if (text) out.append(el("pre", { whiteSpace: "pre-wrap", margin: "0", padding: "0.4em", background: "rgba(127,127,127,0.12)" }, text));
    } catch (e) {
      const msg = e instanceof Refusal ? `${e.status}: ${e.message}`
        : `The sandbox at ${base} could not be reached (is this page's origin, ${location.origin}, in its server.allowed_origins?)`;
      out.replaceChildren(el("p", { color: "#b3261e" }, msg));
    } finally {
      button.removeAttribute("aria-disabled");
    }
  });
}

function start(): void {
  for (const code of document.querySelectorAll<HTMLElement>('pre > code[class*="language-rust"]')) setUp(code);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
