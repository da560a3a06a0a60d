// How many workers train: two on the CPU where the device reports two cores
// or more, one on WebGPU (the GPU does the work) or on one core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingPlan } from '../web/training-helper.js';

test('the CPU trains in two workers where there are two cores, and says why', () => {
  for (const cores of [2, 16]) {
    const plan = trainingPlan('cpu', cores);
    assert.equal(plan.workers, 2);
    assert.match(plan.why, new RegExp(`${cores} cores`));
  }
});

test('WebGPU, one core or an unknown count train in one worker', () => {
  assert.equal(trainingPlan('webgpu', 16).workers, 1);
  for (const cores of [1, 0, undefined, Number.NaN]) assert.equal(trainingPlan('cpu', cores).workers, 1, `${cores}`);
});
