// The static server serves the page's files and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isLocalHost, repositoryRoot, resolveRequest, startServer } from '../scripts/serve.mjs';

/** One request to the server at `port`; resolves with status and body. */
function get(port, urlPath, host = `127.0.0.1:${port}`) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, headers: { Host: host } }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A served tree in a temporary folder: index.html, web/, and a secret beside it. */
function tree() {
  const root = mkdtempSync(path.join(tmpdir(), 'checkerlab-serve-'));
  mkdirSync(path.join(root, 'web'));
  writeFileSync(path.join(root, 'index.html'), '<p>page</p>');
  writeFileSync(path.join(root, 'web', 'app.js'), 'export {};');
  writeFileSync(path.join(root, 'secret.txt'), 'secret');
  return root;
}

test('the page, its modules, the seed spread, MNIST and the shipped weights are served', () => {
  assert.equal(resolveRequest(repositoryRoot, '/'), path.join(repositoryRoot, 'index.html'));
  assert.equal(resolveRequest(repositoryRoot, '/web/app.js?v=2'), path.join(repositoryRoot, 'web/app.js'));
  assert.ok(resolveRequest(repositoryRoot, '/data/mnist/t10k-labels-idx1-ubyte.gz'));
  assert.ok(resolveRequest(repositoryRoot, '/weights/upsample.ckpt'));
  assert.ok(resolveRequest(repositoryRoot, '/web/seed-spread.json'));
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

test('a symbolic link is served only where it leads to a file served by its own name', () => {
  const root = tree();
  try {
    symlinkSync(path.join(root, 'secret.txt'), path.join(root, 'web', 'inside.js'));
    symlinkSync('/etc/hostname', path.join(root, 'web', 'outside.js'));
    symlinkSync(path.join(root, 'web', 'app.js'), path.join(root, 'web', 'alias.js'));
    assert.equal(resolveRequest(root, '/web/inside.js'), null);
    assert.equal(resolveRequest(root, '/web/outside.js'), null);
    assert.equal(resolveRequest(root, '/web/alias.js'), path.join(root, 'web', 'alias.js'));
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('only localhost, 127.0.0.1 and [::1] are answered, with or without a port', () => {
  for (const host of ['localhost', 'localhost:8000', '127.0.0.1:41234', '[::1]:8000', 'LOCALHOST']) {
    assert.ok(isLocalHost(host), host);
  }
  for (const host of [
    undefined,
    '',
    'evil.example',
    'evil.example:8000',
    '127.0.0.1.evil.example',
    'localhost.',
    '0.0.0.0',
  ]) {
    assert.ok(!isLocalHost(host), String(host));
  }
});

test('the server refuses a foreign Host, and a file that vanished is a 404, not a crash', async () => {
  const root = tree();
  // Resolves as the real check did, then removes the file before it is read.
  const vanishing = (treeRoot, urlPath) => {
    const file = resolveRequest(treeRoot, urlPath);
    if (file && urlPath.includes('app.js')) rmSync(file);
    return file;
  };
  const server = await startServer({ root, port: 0, resolve: vanishing });
  const { port } = server.address();
  try {
    assert.deepEqual(await get(port, '/'), { status: 200, body: '<p>page</p>' });
    const rebinding = await get(port, '/', 'evil.example');
    assert.equal(rebinding.status, 403);
    assert.equal((await get(port, '/web/app.js')).status, 404);
    // Still serving.
    assert.equal((await get(port, '/', 'localhost')).status, 200);
  } finally {
    server.close();
    rmSync(root, { recursive: true });
  }
});

// The bound only turns a leak into a failure instead of a hang: closing five files takes milliseconds.
test('a client that leaves mid-file does not leave the file open', { timeout: 60_000 }, async () => {
  // A large file in a served tree, read by a client that hangs up after the first chunk.
  const root = mkdtempSync(path.join(tmpdir(), 'checkerlab-serve-'));
  mkdirSync(path.join(root, 'web'));
  writeFileSync(path.join(root, 'web', 'big.js'), Buffer.alloc(32 << 20, 32));
  const openFiles = () => readdirSync('/proc/self/fd').length;
  const server = await startServer({ root, port: 0 });
  try {
    const before = openFiles();
    const { port } = server.address();
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/web/big.js' }, (response) => {
          response.once('data', () => req.destroy());
          response.on('close', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    }
    // The server closes each file when it sees its client gone: wait for that, not for a set time.
    while (openFiles() > before) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(openFiles(), before);
  } finally {
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
