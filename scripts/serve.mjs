// A static server for the page on 127.0.0.1. It serves only what the page
// needs (index.html, web/, the MNIST files and the shipped weights) and
// refuses everything else, traversal attempts included.
//
//   node scripts/serve.mjs [port]      (port 0 picks a free one)

import { createServer } from 'node:http';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  // Served as bytes: the page decompresses MNIST itself, so no Content-Encoding.
  '.gz': 'application/octet-stream',
  '.ckpt': 'application/octet-stream',
};

/** What may be served, relative to the repository root. */
const ALLOWED = [
  /^index\.html$/,
  /^web\/[\w./-]+\.(js|css|wasm)$/,
  /^data\/mnist\/[\w.-]+\.gz$/,
  /^weights\/[\w.-]+\.ckpt$/,
];

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The file for a request path, or null when it is not served.
 * @param {RegExp[]} also patterns served besides the page's own (benchmarks)
 */
export function resolveRequest(root, urlPath, also = []) {
  let relative;
  try {
    relative = decodeURIComponent(urlPath.split('?')[0]).replace(/^\/+/, '');
  } catch {
    return null;
  }
  if (relative === '') relative = 'index.html';
  const normal = path.posix.normalize(relative);
  if (normal.startsWith('..') || normal.includes('/../') || path.isAbsolute(normal)) return null;
  if (![...ALLOWED, ...also].some((pattern) => pattern.test(normal))) return null;
  const file = path.join(root, normal);
  try {
    // A symbolic link may not lead out of the tree.
    if (!realpathSync(file).startsWith(realpathSync(root) + path.sep)) return null;
    if (!statSync(file).isFile()) return null;
  } catch {
    return null;
  }
  return file;
}

export function startServer({ root = repositoryRoot, port = 8000, also = [] } = {}) {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const file = resolveRequest(root, request.url, also);
    if (!file) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Cache-Control': 'no-cache',
    });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8000);
  const server = await startServer({ port });
  console.log(`Checkerlab is at http://127.0.0.1:${server.address().port}/  (Ctrl-C stops)`);
}
