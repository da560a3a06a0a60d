// The lab's own catalog, from a built wasm module run in Node, so the unit
// tests check the page's code against the lists the lab really has.

import { readFileSync } from 'node:fs';

/** The page's two builds (scripts/build-web.sh). */
export const BUILDS = ['checkerlab_cpu', 'checkerlab_web'];

const catalogs = new Map();

/** The catalog of one build: by default the CPU one, which most pages run. */
export async function labCatalog(build = 'checkerlab_cpu') {
  if (!BUILDS.includes(build)) throw new Error(`no build '${build}'`);
  if (!catalogs.has(build)) {
    const { default: init, Checkerlab } = await import(`../web/pkg/${build}.js`);
    await init({ module_or_path: readFileSync(new URL(`../web/pkg/${build}_bg.wasm`, import.meta.url)) });
    // A lab on the CPU, as the page's worker starts one, lists what it holds.
    catalogs.set(build, (await Checkerlab.create(null, 'the unit tests')).catalog());
  }
  return catalogs.get(build);
}
