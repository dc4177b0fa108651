// Builds the pages into dist/: one minified JS bundle and one CSS file per
// page under dist/assets/, named by their content hash; dist/index.html
// (the playground) pointing at its own; dist/pages.json naming the
// bundles of the pages the server renders (the guide); and dist/embed.js,
// the embeddable Run button, under the stable name other sites include.
// The output depends only on the sources and the locked packages (no
// timestamps, no source maps), so check-bundle.sh can rebuild it from the
// lock file and compare bytes.
import * as esbuild from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

const dist = "dist";
// Entry points, by the name their bundle gets.
const entries = { playground: "src/main.ts", guide: "src/guide.ts" };
const common = {
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife",
  target: ["es2020"],
  charset: "utf8",
  legalComments: "eof",
  logLevel: "warning",
};

await rm(dist, { recursive: true, force: true });
const result = await esbuild.build({
  ...common,
  entryPoints: entries,
  outdir: path.join(dist, "assets"),
  entryNames: "[name]-[hash]",
  metafile: true,
});

// The bundle of each entry and the CSS esbuild split out of it, as URL paths.
const assets = {};
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (!out.entryPoint) continue;
  const name = Object.keys(entries).find((n) => entries[n] === out.entryPoint);
  const url = (f) => "/" + path.relative(dist, f).split(path.sep).join("/");
  assets[name] = { js: url(file), css: out.cssBundle ? url(out.cssBundle) : null };
}
for (const [name, a] of Object.entries(assets)) {
  if (!a.css) throw new Error(`the ${name} bundle has no CSS`);
}

const page = assets.playground;
const html = (await readFile("src/index.html", "utf8"))
  .replaceAll("{{js}}", page.js)
  .replaceAll("{{css}}", page.css);
await mkdir(dist, { recursive: true });
await writeFile(path.join(dist, "index.html"), html);
await writeFile(path.join(dist, "pages.json"), JSON.stringify({ guide: assets.guide }, null, 2) + "\n");

// The embed script: one file, no stylesheet, nothing else loaded.
await esbuild.build({ ...common, entryPoints: ["src/embed.ts"], outfile: path.join(dist, "embed.js") });
