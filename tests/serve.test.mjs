// The static server serves the page's files and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repositoryRoot, resolveRequest } from '../scripts/serve.mjs';

test('the page, its modules, MNIST and the shipped weights are served', () => {
  assert.equal(resolveRequest(repositoryRoot, '/'), path.join(repositoryRoot, 'index.html'));
  assert.equal(resolveRequest(repositoryRoot, '/web/app.js?v=2'), path.join(repositoryRoot, 'web/app.js'));
  assert.ok(resolveRequest(repositoryRoot, '/data/mnist/t10k-labels-idx1-ubyte.gz'));
  assert.ok(resolveRequest(repositoryRoot, '/weights/upsample.ckpt'));
});

test('nothing outside the allowlist is served, however the path is spelled', () => {
  for (const url of [
    '/Cargo.toml',
    '/weights/upsample.jsonl',
    '/web/../Cargo.toml',
    '/web/%2e%2e/Cargo.toml',
    '/web/pkg/..%2f..%2fCargo.toml',
    '/%2fetc/passwd',
    '/web/missing.js',
    '/%E0%A4%A',
  ]) {
    assert.equal(resolveRequest(repositoryRoot, url), null, url);
  }
});
