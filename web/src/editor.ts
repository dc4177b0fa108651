// The code editor: CodeMirror 6 with Rust highlighting, compile
// diagnostics marked where the API says (the stub's own line and column),
// and Ctrl/Cmd+Enter to run.
import { defaultKeymap, history, historyKeymap, indentWithTab, isolateHistory } from "@codemirror/commands";
import { rust } from "@codemirror/lang-rust";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic as CMDiagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorSelection, EditorState, type Extension } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import type { Diagnostic } from "./api";
import { span } from "./position";

export class Editor {
  readonly view: EditorView;
  private readonly extensions: Extension[];

  /**
   * nonce is the page's CSP nonce: CodeMirror writes its styles into a
   * <style> element, which the page's policy allows only with it.
   */
  constructor(parent: HTMLElement, labelledBy: string, describedBy: string, nonce: string, onRun: () => void) {
    this.extensions = [
      EditorView.cspNonce.of(nonce),
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      highlightActiveLine(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      rust(),
      lintGutter(),
      EditorState.tabSize.of(4),
      keymap.of([
        { key: "Mod-Enter", run: () => (onRun(), true) },
        ...defaultKeymap,
        ...historyKeymap,
        indentWithTab,
      ]),
      EditorView.contentAttributes.of({ "aria-labelledby": labelledBy, "aria-describedby": describedBy }),
    ];
    this.view = new EditorView({ parent, state: this.create("") });
  }

  /** A new editor state (own undo history, no marks) holding doc. */
  create(doc: string): EditorState {
    return EditorState.create({ doc, extensions: this.extensions });
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  /** The whole editor state, to put back later with load (one per harness). */
  get state(): EditorState {
    return this.view.state;
  }

  /** Replaces the text as one change of its own, which one undo takes back. */
  replace(doc: string): void {
    if (doc === this.text) return;
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: doc },
      annotations: isolateHistory.of("full"),
    });
  }

  load(state: EditorState): void {
    this.view.setState(state);
  }

  /** Marks the diagnostics that have a position; the others are only listed. */
  mark(diags: Diagnostic[]): void {
    const doc = this.view.state.doc;
    const marks: CMDiagnostic[] = [];
    for (const d of diags) {
      if (!d.line) continue;
      const { from, to } = span(doc, d.line, d.column ?? 1);
      marks.push({ from, to, severity: severity(d.level), message: d.message });
    }
    this.view.dispatch(setDiagnostics(this.view.state, marks));
  }

  /** Puts the cursor at line:column (rustc's: 1-based, in characters) and focuses. */
  jump(line: number, column: number): void {
    const { from } = span(this.view.state.doc, line, column);
    this.view.dispatch({ selection: EditorSelection.cursor(from), scrollIntoView: true });
    this.view.focus();
  }
}

function severity(level: string): CMDiagnostic["severity"] {
  if (level === "error" || level.startsWith("error")) return "error";
  if (level === "warning") return "warning";
  return "info";
}
