// The backend the page chooses: the CPU over a software WebGPU adapter,
// WebGPU on real hardware, and always what ?backend= asks for; beside
// WebGPU, the views on whichever backend drew faster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backendSentence,
  chooseBackend,
  chooseDrawing,
  describeAdapter,
  drawingPlan,
  requestedBackend,
  requestedDrawing,
} from '../web/backend-choice.js';

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

test('beside WebGPU the views are timed unless the address decides', () => {
  assert.equal(drawingPlan({ backend: 'webgpu', requested: null, drawRequested: null }), 'measure');
  // ?backend= forces one backend for everything.
  assert.equal(drawingPlan({ backend: 'webgpu', requested: 'webgpu', drawRequested: null }), 'webgpu');
  assert.equal(drawingPlan({ backend: 'webgpu', requested: 'webgpu', drawRequested: 'cpu' }), 'cpu');
  assert.equal(drawingPlan({ backend: 'webgpu', requested: null, drawRequested: 'webgpu' }), 'webgpu');
  // A software adapter or none: the CPU for all, nothing measured.
  for (const drawRequested of [null, 'webgpu']) {
    assert.equal(drawingPlan({ backend: 'cpu', requested: null, drawRequested }), 'cpu');
  }
  assert.equal(requestedDrawing('?backend=webgpu&draw=cpu'), 'cpu');
  assert.equal(requestedDrawing('?draw=gpu'), null);
  assert.equal(drawingPlan({ backend: 'webgpu', requested: 'webgpu', drawRequested: 'measure' }), 'measure');
  assert.equal(requestedDrawing('?backend=webgpu&draw=measure'), 'measure');
});

test('the views go where the measured reconstruction was faster, with the figures said', () => {
  // Measured on an NVIDIA H200 under Dawn: two decoders, then all seven (issue 31).
  const h200 = chooseDrawing({ webgpu: 6.9, cpu: 1.4 });
  assert.equal(h200.drawing, 'cpu');
  assert.equal(h200.why, 'one reconstruction took 1.4 ms on the CPU and 6.9 ms on WebGPU');
  assert.equal(
    chooseDrawing({ webgpu: 28, cpu: 2.7 }).why,
    'one reconstruction took 2.7 ms on the CPU and 28 ms on WebGPU',
  );
  assert.equal(chooseDrawing({ webgpu: 0.8, cpu: 3.1 }).drawing, 'webgpu');
  assert.equal(chooseDrawing({ webgpu: 2, cpu: 2 }).drawing, 'cpu', 'a tie leaves the GPU to training');
  // A backend that could not be timed keeps the views where the models are.
  assert.equal(chooseDrawing({ webgpu: 5 }).drawing, 'webgpu');
  assert.equal(chooseDrawing({ webgpu: 5, cpu: Number.NaN }).drawing, 'webgpu');
});

test('where the lab runs reads as one plain sentence, with no flag or library name', () => {
  const jargon = /--|Burn|flex|SwiftShader|wgpu|Dawn|adapter|worker/i;
  for (const backend of [
    { kind: 'cpu', drawing: 'cpu' },
    { kind: 'webgpu', drawing: 'webgpu' },
    { kind: 'webgpu', drawing: 'cpu' },
  ]) {
    const sentence = backendSentence(backend);
    assert.doesNotMatch(sentence, jargon, sentence);
    assert.equal(sentence.split(/\. /).length, 1, `one sentence: ${sentence}`);
  }
  assert.match(backendSentence({ kind: 'cpu' }), /processor \(CPU\)/);
  assert.match(backendSentence({ kind: 'webgpu', drawing: 'webgpu' }), /graphics card/);
});
