// The backend the page chooses: the CPU over a software WebGPU adapter,
// WebGPU on real hardware, and always what ?backend= asks for; beside
// WebGPU, drawing and training each on whichever backend was faster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backendSentence,
  chooseBackend,
  chooseDrawing,
  chooseTraining,
  describeAdapter,
  jobPlan,
  requestedBackend,
  requestedJobBackend,
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

test('beside WebGPU drawing and training are timed unless the address decides', () => {
  for (const job of ['draw', 'train']) {
    const plan = (backend, search) =>
      jobPlan({ backend, requested: requestedBackend(search), jobRequested: requestedJobBackend(search, job) });
    assert.equal(plan('webgpu', ''), 'measure', job);
    // ?backend= forces one backend for everything, unless the job is named too.
    assert.equal(plan('webgpu', '?backend=webgpu'), 'webgpu', job);
    assert.equal(plan('webgpu', `?backend=webgpu&${job}=cpu`), 'cpu', job);
    assert.equal(plan('webgpu', `?${job}=webgpu`), 'webgpu', job);
    assert.equal(plan('webgpu', `?backend=webgpu&${job}=measure`), 'measure', job);
    assert.equal(requestedJobBackend(`?${job}=gpu`, job), null, job);
    // A software adapter or none: the CPU for all, nothing measured.
    for (const search of ['', `?${job}=webgpu`, `?${job}=measure`]) assert.equal(plan('cpu', search), 'cpu', job);
  }
  assert.equal(requestedJobBackend('?draw=cpu', 'train'), null, 'each job reads its own key');
});

test('training goes where the measured step was faster, with the figures said', () => {
  // A lock-step round of two decoders at batch 32, measured on an NVIDIA H200 under Dawn
  // (25 / 30 ms on WebGPU, 45 / 52 ms on one CPU thread; issue 31): WebGPU trains.
  const h200 = chooseTraining({ webgpu: 55, cpu: 97 });
  assert.equal(h200.training, 'webgpu');
  assert.equal(h200.why, 'a training step of the shown decoders took 97 ms on the CPU and 55 ms on WebGPU');
  // A GPU slower to issue work than the CPU is to compute it.
  assert.equal(chooseTraining({ webgpu: 140, cpu: 90 }).training, 'cpu');
  assert.equal(chooseTraining({ webgpu: 40, cpu: 40 }).training, 'webgpu', 'a tie leaves the CPU to drawing');
  // A backend that could not be timed keeps training where the models are.
  assert.equal(chooseTraining({ webgpu: 50 }).training, 'webgpu');
  assert.equal(chooseTraining({ webgpu: 50, cpu: Number.NaN }).training, 'webgpu');
  assert.equal(chooseTraining({ webgpu: 50 }).why, 'the CPU could not be timed beside WebGPU');
  assert.equal(chooseTraining({ cpu: 90 }).training, 'webgpu');
  assert.equal(chooseTraining({ cpu: 90 }).why, 'WebGPU could not be timed');
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
  assert.equal(chooseDrawing({}).why, 'WebGPU could not be timed, nor the CPU');
});

test('where the lab runs reads as one plain sentence, with no flag or library name', () => {
  const jargon = /--|Burn|flex|SwiftShader|wgpu|Dawn|adapter|worker/i;
  for (const backend of [
    { kind: 'cpu', drawing: 'cpu' },
    { kind: 'webgpu', drawing: 'webgpu' },
    { kind: 'webgpu', drawing: 'cpu' },
    { kind: 'webgpu', drawing: 'webgpu', training: 'cpu' },
    { kind: 'webgpu', drawing: 'cpu', training: 'cpu' },
  ]) {
    const sentence = backendSentence(backend);
    assert.doesNotMatch(sentence, jargon, sentence);
    assert.equal(sentence.split(/\. /).length, 1, `one sentence: ${sentence}`);
  }
  assert.match(backendSentence({ kind: 'cpu' }), /processor \(CPU\)/);
  assert.match(backendSentence({ kind: 'webgpu', drawing: 'webgpu' }), /graphics card/);
  assert.match(
    backendSentence({ kind: 'webgpu', drawing: 'webgpu', training: 'cpu' }),
    /trains on your computer's processor \(CPU\), and draws on your graphics card/,
  );
  assert.match(
    backendSentence({ kind: 'webgpu', drawing: 'cpu', training: 'cpu' }),
    /runs on your computer's processor/,
  );
});
