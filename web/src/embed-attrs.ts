// Which code blocks the embed script runs, and with which fence attributes.

// The classes that carry a fence's info string: language-rust (and
// pulldown-cmark's language-rust,no_run), and mdBook's separate classes.
const attrToken = /^(rust|ignore(-[\w-]+)?|no_run|should_panic|compile_fail|test_harness|standalone_crate|edition\d{4}|E\d{4})$/;

/** The fence's info string from a code element's classes, or null if the block is not Rust. */
export function attrsOf(classes: string[]): string | null {
  let rust = false;
  const attrs: string[] = [];
  for (const c of classes) {
    for (const t of c.replace(/^language-/, "").split(",")) {
      if (c.startsWith("language-") && t === "rust") rust = true;
      if (attrToken.test(t) && !attrs.includes(t)) attrs.push(t);
    }
  }
  return rust ? attrs.join(",") : null;
}
