// Unit tests of the page's pure logic, run by `npm test` (test.mjs) in node.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Text } from "@codemirror/state";
import { decodeState, encodeRequest, SSEParser, validSeed } from "./api";
import { attrsOf } from "./embed-attrs";
import { decodeHandoff, encodeHandoff } from "./handoff";
import { span } from "./position";
import { parsePairs, rowsOf } from "./requests";

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

test("server-sent events split however the chunks fall", () => {
  const stream = ": ping\n\nevent: queued\ndata: {\"position\": 2}\n\nevent: compiling\r\ndata: {}\r\n\r\nevent: result\ndata: {\"a\":\ndata: 1}\n\n";
  const want = [
    { event: "queued", data: '{"position": 2}' },
    { event: "compiling", data: "{}" },
    { event: "result", data: '{"a":\n1}' },
  ];
  for (const size of [1, 2, 3, 7, stream.length]) {
    const p = new SSEParser();
    const got = [];
    for (let i = 0; i < stream.length; i += size) got.push(...p.push(stream.slice(i, i + size)));
    assert.deepEqual(got, want, `chunks of ${size}`);
  }
  // An event without its blank line has not ended.
  assert.deepEqual(new SSEParser().push("event: running\ndata: {}\n"), []);
});

test("a shared seed keeps all 64 bits", () => {
  const text = '{"state":{"harness":"program","stub":"let s = \\"seed\\": 1;","args":{},"seed":18446744073709551615}}';
  const data = JSON.parse(text);
  assert.equal(decodeState(data.state, text).seed, "18446744073709551615");
  assert.equal(decodeState({ harness: "mock", stub: "x", seed: "42" }, "").seed, "42");
  assert.deepEqual(decodeState({}, "{}"), { harness: "program", stub: "", args: {}, seed: "" });
});

test("an Edit link carries the block to the playground", () => {
  const s = { harness: "example" as const, stub: "# hidden ünïcode 😀\nlet x = 1;\n", args: { attrs: "rust,no_run" } };
  const frag = encodeHandoff(s);
  assert.match(frag, /^edit=[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeHandoff(frag), s);
  assert.equal(decodeHandoff("nothing"), null);
  assert.equal(decodeHandoff("edit=!!!"), null);
  assert.equal(decodeHandoff("edit=" + Buffer.from('{"stub": 3}').toString("base64url")), null);
});

test("the embed script reads fence attributes from classes", () => {
  assert.equal(attrsOf(["language-rust"]), "rust");
  assert.equal(attrsOf(["language-rust,no_run"]), "rust,no_run");
  // mdBook: language-rust plus one class per attribute, and its own classes.
  assert.equal(attrsOf(["language-rust", "ignore", "hljs", "editable"]), "rust,ignore");
  assert.equal(attrsOf(["language-rust", "should_panic", "edition2018"]), "rust,should_panic,edition2018");
  assert.equal(attrsOf(["language-toml"]), null);
  assert.equal(attrsOf(["language-rusty"]), null);
});

test("shared requests come back as rows", () => {
  assert.deepEqual(rowsOf([{ method: "POST", uri: "/a", headers: { "X-A": "1", B: "2" }, cookies: { c: "3" }, body: "hi" }, {}]), [
    { method: "POST", uri: "/a", headers: "X-A: 1\nB: 2", cookies: "c=3", body: "hi" },
    { method: "GET", uri: "/", headers: "", cookies: "", body: "" },
  ]);
  assert.equal(rowsOf([]).length, 1, "one row at least");
});
