// The runnable guide: under every Rust block the server marked up
// (pre.runnable, its fence's info string in data-attrs) come Run, Edit
// (the block in the playground) and, when the block hides lines, a
// toggle that shows them. Run sends the block as written to the example
// harness with its info string, so ignore, no_run, should_panic,
// compile_fail and editions behave as rustdoc's; the phases and then the
// result appear under the block.
import "./style.css";
import "./guide.css";
import { type ExecuteRequest, executeStream, Refusal } from "./api";
import { h } from "./dom";
import { encodeHandoff } from "./handoff";
import { phaseText, renderRefusal, renderResponse } from "./results";

let nextID = 0;

function setUp(pre: HTMLPreElement): void {
  const code = pre.querySelector("code");
  if (!code) return;
  const n = ++nextID;
  const attrs = pre.dataset.attrs || "rust";
  pre.id ||= `block-${n}`;
  // The block as written, hidden lines and all: the code element's text.
  const source = code.textContent ?? "";

  const run = h("button", { type: "button", class: "primary", "aria-describedby": pre.id }, "Run");
  const edit = h("a", {
    class: "button",
    href: "/#" + encodeHandoff({ harness: "example", stub: source, args: { attrs } }),
  }, "Edit");
  const bar = h("div", { class: "block-bar", id: `${pre.id}-bar`, role: "group", "aria-label": `Block ${n}` }, run, " ", edit);
  if (pre.querySelector(".boring")) {
    const toggle = h("button", { type: "button", "aria-pressed": "false", "aria-controls": pre.id }, "Show hidden lines");
    toggle.addEventListener("click", () => {
      const on = pre.classList.toggle("show-hidden");
      toggle.setAttribute("aria-pressed", String(on));
      toggle.textContent = on ? "Hide hidden lines" : "Show hidden lines";
    });
    bar.append(" ", toggle);
  }
  if (attrs !== "rust") bar.append(" ", h("code", { class: "attrs", title: "the fence's info string" }, attrs));
  const out = h("div", { class: "block-result", id: `${pre.id}-result`, "aria-live": "polite" });
  pre.after(bar, out);

  let busy = false;
  run.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    run.setAttribute("aria-disabled", "true");
    out.setAttribute("aria-busy", "true");
    const status = h("p", { class: "phase" }, "Sending…");
    out.replaceChildren(status);
    const req: ExecuteRequest = { harness: "example", stub: source, args: { attrs }, seed: "" };
    try {
      const resp = await executeStream(req, (p) => (status.textContent = phaseText(p)));
      out.replaceChildren(...renderResponse(resp, {}));
    } catch (e) {
      out.replaceChildren(...(e instanceof Refusal ? renderRefusal(e)
        : [h("p", { class: "error" }, `The service could not be reached: ${String(e)}`)]));
    } finally {
      busy = false;
      run.removeAttribute("aria-disabled");
      out.setAttribute("aria-busy", "false");
    }
  });
}

for (const pre of document.querySelectorAll<HTMLPreElement>("pre.runnable")) setUp(pre);
