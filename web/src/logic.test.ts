// Unit tests of the page's pure logic, run by `npm test` (test.mjs) in node.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Text } from "@codemirror/state";
import { encodeRequest, validSeed } from "./api";
import { span } from "./position";
import { parsePairs } from "./requests";

test("seeds are 64-bit decimal integers", () => {
  for (const s of ["0", "42", "18446744073709551615"]) assert.ok(validSeed(s), s);
  for (const s of ["", "-1", "1.5", "1e3", " 1", "18446744073709551616", "123456789012345678901"]) {
    assert.ok(!validSeed(s), s);
  }
});

test("a seed is sent as a bare integer, exactly", () => {
  const body = encodeRequest({ harness: "program", stub: "fn main() {}", args: {}, seed: "18446744073709551615" });
  assert.equal(body, '{"harness":"program","stub":"fn main() {}","args":{},"seed":18446744073709551615}');
  assert.equal(encodeRequest({ harness: "mock", stub: "x", args: { requests: [] }, seed: "" }),
    '{"harness":"mock","stub":"x","args":{"requests":[]}}');
  assert.throws(() => encodeRequest({ harness: "program", stub: "x", args: {}, seed: "-1" }));
});

test("line:column in characters becomes a document range", () => {
  const doc = Text.of(["fn main() {", '    let s = "é😀"; let x = y;', "}"]);
  // "y" is the 27th character of line 2, but the 28th UTF-16 unit.
  const { from, to } = span(doc, 2, 27);
  assert.equal(doc.sliceString(from, to), "y");
  // A word is covered whole; past the end of a line is its end.
  const w = span(doc, 2, 5);
  assert.equal(doc.sliceString(w.from, w.to), "let");
  const end = span(doc, 1, 99);
  assert.equal(end.from, doc.line(1).to);
  // A line beyond the document is its last line.
  assert.equal(span(doc, 9, 1).from, doc.line(3).from);
});

test("headers and cookies parse as name/value pairs", () => {
  assert.deepEqual(parsePairs(["Accept: application/json", "", "X-A:b:c"], ":"), { Accept: "application/json", "X-A": "b:c" });
  assert.deepEqual(parsePairs("a=1; b=2;".split(";"), "="), { a: "1", b: "2" });
  assert.equal(typeof parsePairs(["no colon here"], ":"), "string");
  assert.equal(typeof parsePairs([": empty name"], ":"), "string");
});
