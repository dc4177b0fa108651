// The file tabs above the editor: the harness's own src/main.rs first,
// then the project's other files (a module, a template, Rocket.toml).
// A proper tablist: one tab in the Tab order, arrow keys, Home and End
// move between tabs and select them.
import { h } from "./dom";

export const mainFile = "src/main.rs";

/**
 * Why name cannot be a new file of the project, or null if it can: a
 * relative path of plain segments, not a crate root (src/main.rs is the
 * editor's main tab; src/lib.rs would make a second crate), not taken.
 */
export function badFileName(name: string, taken: string[]): string | null {
  if (name === "") return "Type the file's path first, e.g. src/greet.rs or templates/index.html.tera.";
  if (name.startsWith("/") || name.includes("\\")) return "A file's path is relative, with / between its parts.";
  if (name.split("/").some((s) => s === "" || s === "." || s === "..")) return "A file's path has no empty, . or .. parts.";
  if (name === mainFile || name === "src/lib.rs") return `${name} is the crate root: the first tab holds it.`;
  if (taken.includes(name)) return `There is already a file ${name}.`;
  return null;
}

export class FileTabs {
  private names: string[] = [mainFile];
  private active = mainFile;

  constructor(private readonly list: HTMLElement, private readonly select: (name: string) => void) {
    list.setAttribute("role", "tablist");
    list.addEventListener("keydown", (e) => {
      const i = this.names.indexOf(this.active);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: this.names.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      this.choose(this.names[(to + this.names.length) % this.names.length]);
      this.tab(this.active)?.focus();
    });
    this.render();
  }

  get current(): string {
    return this.active;
  }

  get files(): string[] {
    return [...this.names];
  }

  /** Selects name's tab and tells the page to show that file. */
  choose(name: string): void {
    if (!this.names.includes(name)) return;
    this.active = name;
    this.render();
    this.select(name);
  }

  add(name: string): void {
    this.names.push(name);
    this.choose(name);
  }

  rename(from: string, to: string): void {
    this.names = this.names.map((n) => (n === from ? to : n));
    if (this.active === from) this.active = to;
    this.render();
  }

  remove(name: string): void {
    if (name === mainFile) return;
    this.names = this.names.filter((n) => n !== name);
    if (this.active === name) this.choose(mainFile);
    else this.render();
  }

  private tab(name: string): HTMLElement | null {
    return this.list.querySelector<HTMLElement>(`[data-file="${CSS.escape(name)}"]`);
  }

  private render(): void {
    this.list.replaceChildren(...this.names.map((n, i) => {
      const selected = n === this.active;
      const b = h("button", {
        type: "button", role: "tab", id: `file-tab-${i}`, "data-file": n,
        "aria-selected": String(selected), "aria-controls": "editor", tabindex: selected ? "0" : "-1",
      }, n);
      b.addEventListener("click", () => this.choose(n));
      return b;
    }));
    const panel = document.getElementById("editor");
    panel?.setAttribute("aria-labelledby", `file-tab-${this.names.indexOf(this.active)}`);
  }
}
