// Builds the playground into dist/: one minified JS bundle and one CSS file
// under dist/assets/, named by their content hash, and dist/index.html
// pointing at them. The output depends only on the sources and the locked
// packages (no timestamps, no source maps), so check-bundle.sh can rebuild
// it from the lock file and compare bytes.
import * as esbuild from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

const dist = "dist";
// Entry points, by the name their bundle gets. Later pages (the guide) and
// the stable-named embed script add entries here.
const entries = { playground: "src/main.ts" };

await rm(dist, { recursive: true, force: true });
const result = await esbuild.build({
  entryPoints: entries,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife",
  target: ["es2020"],
  charset: "utf8",
  legalComments: "eof",
  outdir: path.join(dist, "assets"),
  entryNames: "[name]-[hash]",
  metafile: true,
  logLevel: "warning",
});

// The bundle of each entry and the CSS esbuild split out of it, as URL paths.
const assets = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!out.entryPoint) continue;
  const name = Object.keys(entries).find((n) => entries[n] === out.entryPoint);
  const url = (f) => "/" + path.relative(dist, f).split(path.sep).join("/");
  assets[name] = { js: url(file), css: out.cssBundle ? url(out.cssBundle) : null };
}

const page = assets.playground;
if (!page.css) throw new Error("the playground bundle has no CSS");
const html = (await readFile("src/index.html", "utf8"))
  .replaceAll("{{js}}", page.js)
  .replaceAll("{{css}}", page.css);
await mkdir(dist, { recursive: true });
await writeFile(path.join(dist, "index.html"), html);
