// A static server for the page on 127.0.0.1. It serves only what the page
// needs (index.html, web/, the MNIST files and the shipped weights) and
// refuses everything else: traversal attempts, symbolic links that lead
// elsewhere, and requests whose Host is not this machine (a DNS-rebinding
// page could otherwise read it). A file that vanishes mid-request is a 404,
// never a crash.
//
//   node scripts/serve.mjs [port]      (port 0 picks a free one)

import { createServer } from 'node:http';
import { realpathSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
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
  /^web\/[\w./-]+\.(js|css|wasm|json)$/,
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
  const allowed = (relativePath) => [...ALLOWED, ...also].some((pattern) => pattern.test(relativePath));
  if (!allowed(normal)) return null;
  const file = path.join(root, normal);
  try {
    // A symbolic link must lead to a file that would be served by its own name.
    const real = path.relative(realpathSync(root), realpathSync(file)).split(path.sep).join('/');
    if (real.startsWith('..') || path.isAbsolute(real) || !allowed(real)) return null;
    if (!statSync(file).isFile()) return null;
  } catch {
    return null;
  }
  return file;
}

/** Hosts this server answers to: itself, by name or address. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLocalHost(hostHeader) {
  if (typeof hostHeader !== 'string') return false;
  const host = hostHeader.toLowerCase().replace(/:\d+$/, '');
  return LOCAL_HOSTS.has(host);
}

/** The request handler; `resolve` is replaceable so tests can make files vanish. */
export function createHandler({ root = repositoryRoot, also = [], resolve = resolveRequest } = {}) {
  return async (request, response) => {
    if (!isLocalHost(request.headers.host)) {
      response.writeHead(403, { 'Content-Type': 'text/plain' }).end('this server answers only to localhost\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const file = resolve(root, request.url, also);
    let handle;
    try {
      if (!file) throw new Error('not served');
      // Opened once and read from the same handle, so a file replaced or
      // removed after the check is either served whole or not at all.
      handle = await open(file, 'r');
      const { size } = await handle.stat();
      response.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': size,
        'Cache-Control': 'no-cache',
      });
    } catch {
      await handle?.close();
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    if (request.method === 'HEAD') {
      await handle.close();
      response.end();
      return;
    }
    const stream = handle.createReadStream();
    stream.on('error', () => response.destroy());
    // A client that goes away mid-file leaves the stream unfinished: end it,
    // which closes the file, rather than leave the descriptor to the GC.
    response.on('close', () => stream.destroy());
    stream.pipe(response);
  };
}

export function startServer({ root = repositoryRoot, port = 8000, also = [], resolve } = {}) {
  const server = createServer(createHandler({ root, also, resolve }));
  server.on('clientError', (_error, socket) => socket.destroy());
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
