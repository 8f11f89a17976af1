// Build the vendored front-end assets and record what they were built from.
//   npm ci && npm run build      (development only; the served app never needs Node.js)
// Writes ../src/vibrastic/faces/web/static/vendor/ and vendor.lock.json (sha256 of every input and
// every output); tests/faces/web/test_vendor.py checks the lock without the network.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync }
  from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "vibrastic", "faces", "web", "static", "vendor");
const nm = join(here, "node_modules");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "katex", "fonts"), { recursive: true });

const result = await build({
  entryPoints: [join(here, "src", "editor.js")], bundle: true, minify: true, format: "iife",
  target: "es2020", outfile: join(out, "codemirror.js"), legalComments: "none", metafile: true,
  logLevel: "warning",
});
// Licences of every package that went into the bundle, in one file next to it.
const pkgs = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) pkgs.add(m[1]);
}
let licences = "Licences of the packages bundled into codemirror.js\n";
for (const pkg of [...pkgs].sort()) {
  const meta = JSON.parse(readFileSync(join(nm, pkg, "package.json"), "utf8"));
  const file = readdirSync(join(nm, pkg)).find((f) => /^licen[cs]e/i.test(f));
  licences += `\n==== ${pkg} ${meta.version} (${meta.license}) ====\n`;
  licences += file ? readFileSync(join(nm, pkg, file), "utf8") : `${meta.license}\n`;
}
writeFileSync(join(out, "codemirror.LICENSES.txt"), licences);

const copy = (from, to) => cpSync(join(nm, from), join(out, to));
copy("katex/dist/katex.min.js", "katex/katex.min.js");
copy("katex/dist/katex.min.css", "katex/katex.min.css");
copy("katex/LICENSE", "katex/LICENSE");
for (const f of readdirSync(join(nm, "katex/dist/fonts")).filter((f) => f.endsWith(".woff2"))) {
  copy(`katex/dist/fonts/${f}`, `katex/fonts/${f}`);
}
copy("htmx.org/dist/htmx.min.js", "htmx.min.js");
copy("htmx.org/LICENSE", "htmx.LICENSE.txt");
copy("axe-core/axe.min.js", "axe.min.js");
copy("axe-core/LICENSE", "axe.LICENSE.txt");

// The lock: hashes of the inputs (what to rebuild from) and of the outputs (what is vendored).
const sha = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const walk = (dir) => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? walk(p) : [p];
});
const inputs = ["package.json", "package-lock.json", "build.mjs", ...walk(join(here, "src"))
  .map((p) => relative(here, p))].sort();
const lock = {
  note: "Written by frontend/build.mjs; checked by tests/faces/web/test_vendor.py.",
  versions: Object.fromEntries(["codemirror", "@codemirror/lang-python", "@codemirror/view",
    "@codemirror/state", "katex", "htmx.org", "axe-core", "esbuild"].map((p) =>
    [p, JSON.parse(readFileSync(join(nm, p, "package.json"), "utf8")).version])),
  inputs: Object.fromEntries(inputs.map((p) => [p, sha(join(here, p))])),
  outputs: Object.fromEntries(walk(out).map((p) => [relative(out, p), sha(p)]).sort()),
};
writeFileSync(join(here, "vendor.lock.json"), JSON.stringify(lock, null, 2) + "\n");
console.log(`vendored ${Object.keys(lock.outputs).length} files into ${relative(here, out)}`);
