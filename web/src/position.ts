// Where rustc's line:column is in a CodeMirror document.
import type { Text } from "@codemirror/state";

/**
 * The document range for rustc's line:column: rustc counts columns in
 * characters (code points), CodeMirror in UTF-16 units. The range covers
 * the word there, or one character, so the mark is visible.
 */
export function span(doc: Text, line: number, column: number): { from: number; to: number } {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  let off = 0;
  for (let c = 1; c < column && off < l.length; c++) {
    off += l.text.codePointAt(off)! > 0xffff ? 2 : 1;
  }
  let end = off;
  while (end < l.length && /[\p{L}\p{N}_]/u.test(l.text[end])) end++;
  if (end === off && off < l.length) end = off + 1;
  return { from: l.from + off, to: l.from + end };
}
