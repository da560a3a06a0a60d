// Models made by Keras and PyTorch themselves (tests/fixtures/foreign),
// loaded into the page as a user would, by the file input and by dropping
// them on the page: each must reconstruct test digits as its framework did,
// and a file the lab cannot take must leave the models as they were.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot, startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { openPage, shot } from './browser-page.mjs';
import { zipSync } from '../web/pkg/fflate.js';

const FIXTURES = path.join(repositoryRoot, 'tests', 'fixtures', 'foreign');
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'));
const TOLERANCE = manifest.reconstructions.tolerance;
/** Digits checked per file: the strip's first ones, the fixtures' first ones. */
const DIGITS = 4;

let server;
let browser;
let page;
let consoleErrors;

before(async () => {
  server = await startServer({ port: 0 });
  browser = await launchChromium();
  ({ page, consoleErrors } = await openPage(browser, `http://127.0.0.1:${server.address().port}/`));
});

after(async () => {
  await browser?.close();
  server?.close();
});

const view = () => page.evaluate(() => window.checkerlab.view());

/** The framework's own reconstruction of test digit `index`. */
function frameworkImage(stem, index) {
  const bytes = readFileSync(path.join(FIXTURES, `${stem}.recon.f32`));
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  return floats.subarray(index * 784, (index + 1) * 784);
}

async function showDigit(index) {
  const before = await page.evaluate(() => window.checkerlab.reconstructions);
  await page.click(`.digit[data-index="${index}"]`);
  await page.waitForFunction((n) => window.checkerlab.reconstructions > n && window.checkerlab.settled(), before, {
    timeout: 120_000,
  });
}

/** Loads `name` through the file input; returns the message beside it. */
async function load(name, buffer = readFileSync(path.join(FIXTURES, name))) {
  await page.evaluate(() => {
    document.getElementById('weights-message').hidden = true;
  });
  await page.setInputFiles('#weights-file', { name, mimeType: 'application/octet-stream', buffer });
  await page.waitForFunction(
    () => /Loaded|Could not/.test(document.getElementById('weights-message').textContent),
    null,
    { timeout: 60_000 },
  );
  await page.waitForFunction(() => window.checkerlab.settled(), null, { timeout: 120_000 });
  return page.locator('#weights-message').innerText();
}

/** Each of the first digits through the page's `decoder`, against `stem`'s own reconstructions. */
async function assertReconstructsLike(decoder, stem, file) {
  for (let index = 0; index < DIGITS; index++) {
    await showDigit(index);
    const ours = (await view()).outputs[decoder];
    const theirs = frameworkImage(stem, index);
    let worst = 0;
    for (let i = 0; i < 784; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    assert.ok(worst <= TOLERANCE, `${file}, digit ${index}: differs by ${worst}`);
  }
}

test('every Keras and PyTorch fixture loads into its decoder and reconstructs as its framework does', async () => {
  const cases = manifest.files.filter((f) => !f.file.endsWith('.recon.f32'));
  assert.ok(cases.length >= 12, `${cases.length} model files in the manifest`);
  assert.ok(
    cases.some((f) => f.file.endsWith('.pt')),
    'PyTorch .pt files among them',
  );
  for (const { file, decoder, model } of cases) {
    const message = await load(file);
    assert.ok(message.includes(`Loaded ${file}: its layers are those of the ${decoder} decoder`), message);
    assert.ok((await view()).shown.includes(decoder), `${file}: its decoder is shown`);
    await assertReconstructsLike(decoder, model, file);
  }
  await shot(page, 'foreign-keras-loaded');
});

test('a file dropped on the page loads as one chosen does', async () => {
  const file = 'keras-upsample.weights.h5';
  const bytes = [...readFileSync(path.join(FIXTURES, file))];
  await page.evaluate(
    ({ name, bytes }) => {
      document.getElementById('weights-message').hidden = true;
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name));
      document.querySelector('main').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
    },
    { name: file, bytes },
  );
  await page.waitForFunction(() => /Loaded/.test(document.getElementById('weights-message').textContent), null, {
    timeout: 60_000,
  });
  await page.waitForFunction(() => window.checkerlab.settled(), null, { timeout: 120_000 });
  await assertReconstructsLike('upsample', 'keras-upsample', file);
});

test('a .pt whose pickle would run code, and damaged files, are refused, and nothing changes', async () => {
  await showDigit(1);
  const before = (await view()).outputs;
  const pickle = new TextEncoder().encode("cos\nsystem\n(S'echo owned'\ntR.");
  const shell = Buffer.from(zipSync({ 'model/data.pkl': pickle }, { level: 0 }));
  const pt = await load('model.pt', shell);
  assert.match(pt, /Could not load model\.pt: .*os\.system.*tensors only.*unchanged/s);
  const torch = readFileSync(path.join(FIXTURES, 'torch-transposed.pt'));
  const cut = await load('cut.pt', torch.subarray(0, torch.length - 100));
  assert.match(cut, /Could not load cut\.pt: .*unchanged/s);
  const keras = readFileSync(path.join(FIXTURES, 'keras-transposed.keras'));
  const damaged = await load('half.keras', keras.subarray(0, keras.length / 2));
  assert.match(damaged, /Could not load half\.keras: .*unchanged/s);
  const noise = await load('noise.h5', Buffer.from('\x89HDF\r\n\x1a\nnot really HDF5 at all'));
  assert.match(noise, /Could not load noise\.h5: .*unchanged/s);
  await showDigit(1);
  assert.deepEqual((await view()).outputs, before, 'the models were not touched');
  await shot(page, 'foreign-refused');
  assert.deepEqual(consoleErrors, []);
});

/** Saves `decoder`'s model as `extension` with the page's buttons; the downloaded bytes and the message. */
async function save(decoder, extension) {
  await page.selectOption('#save-format', extension);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#save-${decoder}`)]);
  assert.equal(download.suggestedFilename(), `${decoder}.${extension}`);
  const bytes = readFileSync(await download.path());
  await page.waitForFunction(() => /Saved/.test(document.getElementById('weights-message').textContent));
  return { bytes, message: await page.locator('#weights-message').innerText() };
}

test('a model saved as .keras or .safetensors loads back and reconstructs exactly as before', async () => {
  await showDigit(2);
  const before = (await view()).outputs;
  for (const decoder of ['upsample', 'transposed']) {
    for (const extension of ['keras', 'safetensors']) {
      const { bytes, message } = await save(decoder, extension);
      assert.match(message, new RegExp(`Saved ${decoder}\\.${extension} \\(\\d+ KiB\\)`));
      if (extension === 'keras') assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04');
      const name = `mine-${decoder}.${extension}`;
      const loaded = await load(name, bytes);
      assert.ok(loaded.includes(`Loaded ${name}: its layers are those of the ${decoder} decoder`), loaded);
      await showDigit(2);
      assert.deepEqual((await view()).outputs[decoder], before[decoder], `${name}: the same numbers`);
    }
  }
  // Keras has no pixel shuffle: said beside the button, and nothing is downloaded.
  await page.click('#show-subpixel');
  await page.waitForFunction(() => window.checkerlab.settled(), null, { timeout: 120_000 });
  await page.selectOption('#save-format', 'keras');
  await page.click('#save-subpixel');
  const refused = await page.locator('#weights-message').innerText();
  assert.match(refused, /subpixel decoder cannot be saved as \.keras.*\.safetensors/s);
  const { message } = await save('subpixel', 'safetensors');
  assert.match(message, /Saved subpixel\.safetensors/);
  await shot(page, 'foreign-saved');
  assert.deepEqual(consoleErrors, []);
});
