// The page's two builds of the lab (the CPU's alone, and the one that can
// also run WebGPU) must be the same lab: the page picks one by backend and
// derives its lists from whichever it got.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILDS, labCatalog } from './lab-catalog.mjs';

test('both builds list the same decoders, probes, inputs and defaults', async () => {
  const [cpu, web] = await Promise.all(BUILDS.map((build) => labCatalog(build)));
  assert.ok(cpu.decoders.length > 0);
  assert.deepEqual(web, cpu);
});
