// The backend the page chooses: the CPU over a software WebGPU adapter,
// WebGPU on real hardware, and always what ?backend= asks for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseBackend, describeAdapter, requestedBackend } from '../web/backend-choice.js';

const swiftshader = describeAdapter({
  vendor: 'google',
  architecture: 'swiftshader',
  description: 'SwiftShader Device (Subzero)',
});
const hardware = describeAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' });

test('software adapters are recognised by flag or by name', () => {
  assert.equal(swiftshader.software, true);
  assert.equal(hardware.software, false);
  assert.equal(describeAdapter({ vendor: 'acme', isFallbackAdapter: true }).software, true);
  for (const name of ['llvmpipe (LLVM 15.0.6, 256 bits)', 'lavapipe', 'Microsoft Basic Render Driver']) {
    assert.equal(describeAdapter({ description: name }).software, true, name);
  }
  assert.equal(describeAdapter({}).name, 'unnamed adapter');
});

test('the CPU is chosen over a software adapter and the reason names it', () => {
  const choice = chooseBackend({ requested: null, adapter: swiftshader, missing: '' });
  assert.equal(choice.backend, 'cpu');
  assert.match(choice.why, /SwiftShader.*software.*\?backend=webgpu/);
});

test('a hardware adapter runs WebGPU; no adapter runs the CPU with the reason given', () => {
  assert.equal(chooseBackend({ requested: null, adapter: hardware, missing: '' }).backend, 'webgpu');
  const none = chooseBackend({ requested: 'webgpu', adapter: null, missing: 'no adapter here' });
  assert.deepEqual(none, { backend: 'cpu', why: 'no adapter here' });
});

test('?backend= overrides the choice both ways', () => {
  assert.equal(chooseBackend({ requested: 'webgpu', adapter: swiftshader, missing: '' }).backend, 'webgpu');
  assert.equal(chooseBackend({ requested: 'cpu', adapter: hardware, missing: '' }).backend, 'cpu');
  assert.equal(requestedBackend('?backend=cpu'), 'cpu');
  assert.equal(requestedBackend('?backend=webgpu&x=1'), 'webgpu');
  assert.equal(requestedBackend('?backend=tpu'), null);
  assert.equal(requestedBackend(''), null);
});
