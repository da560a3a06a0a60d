// The lab's own catalog, from the built wasm module run in Node, so the unit
// tests check the page's code against the lists the lab really has.

import { readFileSync } from 'node:fs';
import init, { Checkerlab } from '../web/pkg/checkerlab_web.js';

let catalog = null;

export async function labCatalog() {
  if (!catalog) {
    await init({ module_or_path: readFileSync(new URL('../web/pkg/checkerlab_web_bg.wasm', import.meta.url)) });
    // A lab on the CPU, as the page's worker starts one, lists what it holds.
    catalog = (await Checkerlab.create(null, 'the unit tests')).catalog();
  }
  return catalog;
}
