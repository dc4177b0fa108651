// Runs src/*.test.ts in node: esbuild bundles each into a temporary
// directory (types stripped, not checked: `npm run typecheck` does that),
// and node's own test runner runs them.
import * as esbuild from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const tests = (await readdir("src")).filter((f) => f.endsWith(".test.ts")).map((f) => path.join("src", f));
const out = await mkdtemp(path.join(tmpdir(), "web-test-"));
try {
  await esbuild.build({
    entryPoints: tests,
    bundle: true,
    platform: "node",
    format: "esm",
    outdir: out,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
  const files = (await readdir(out)).map((f) => path.join(out, f));
  const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
  process.exitCode = run.status ?? 1;
} finally {
  await rm(out, { recursive: true, force: true });
}
