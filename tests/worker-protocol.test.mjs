// Both ends of the protocol the page and its two workers speak, joined in
// this thread: what a reply carries, what a trap or a failure does to the
// requests waiting, and a request sent with its arguments not in an array.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerClient, WorkerTrapped, answer, buffers } from '../web/worker-protocol.js';

/** A worker whose requests `work` answers through `answer`, as the real workers do. */
class LoopbackWorker extends EventTarget {
  constructor(work) {
    super();
    this.work = work;
    this.terminated = false;
  }

  postMessage(message) {
    if (message.type) return;
    const post = (reply) => this.dispatchEvent(Object.assign(new Event('message'), { data: reply }));
    queueMicrotask(() => answer(message.id, () => this.work(message.method, message.args), post));
  }

  terminate() {
    this.terminated = true;
  }
}

test('a request resolves to what the worker computed, and the time it took is kept', async () => {
  const client = new WorkerClient(new LoopbackWorker((method, args) => ({ method, sum: args[0] + args[1] })));
  assert.deepEqual(await client.request('add', [2, 3]), { method: 'add', sum: 5 });
  assert.equal(typeof client.lastMs, 'number');
});

test("a worker's error rejects that request only; a trap rejects it as a trap and refuses the rest", async () => {
  const client = new WorkerClient(
    new LoopbackWorker((method) => {
      if (method === 'bad') throw new Error('no such digit');
      if (method === 'trap') throw new WebAssembly.RuntimeError('unreachable');
      return 'fine';
    }),
  );
  await assert.rejects(
    client.request('bad'),
    (err) => !(err instanceof WorkerTrapped) && /no such digit/.test(err.message),
  );
  assert.equal(await client.request('good'), 'fine');
  await assert.rejects(
    client.request('trap'),
    (err) => err instanceof WorkerTrapped && /unreachable/.test(err.message),
  );
  await assert.rejects(client.request('good'), /it trapped: unreachable/);
});

test('arguments not in an array are refused before they are sent', async () => {
  const client = new WorkerClient(new LoopbackWorker(() => assert.fail('nothing may be sent')));
  await assert.rejects(client.request('layerGradients', 'upsample'), /must be an array/);
});

test('a stopped worker rejects what waits and refuses what comes, with the reason', async () => {
  const worker = new LoopbackWorker(() => new Promise(() => {}));
  const client = new WorkerClient(worker);
  const waiting = client.request('forever');
  client.terminate('it was stopped');
  assert.ok(worker.terminated);
  await assert.rejects(waiting, /it was stopped/);
  await assert.rejects(client.request('again'), /it was stopped/);
});

test('the typed arrays of a result are found once each, to be moved', () => {
  const image = new Float32Array(4);
  const found = buffers({ results: [{ image }, { image }], map: new Uint8Array(2), label: 'x' });
  assert.equal(found.length, 2);
  assert.ok(found.includes(image.buffer));
});
