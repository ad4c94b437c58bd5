// Builds the served files from the readable sources: `node web/build.mjs [output folder]`
// (`make wom-js`; tests/browser/test_build.py builds into a temporary folder and compares).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { minify } from "terser";

const here = new URL(".", import.meta.url).pathname;
const output = process.argv[2] || join(here, "..", "shared", "tracking", "static");
// ES2020 is what the script is written in; the browsers it runs in all have it.
const options = { ecma: 2020, compress: { passes: 3 }, mangle: true, format: { comments: false } };

for (const name of ["wom", "wom-advocate"]) {
  const { code } = await minify(await readFile(join(here, `${name}.js`), "utf8"), options);
  await writeFile(join(output, `${name}.min.js`), code + "\n");
}
