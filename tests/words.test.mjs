// The page's words against what a newcomer sees (CPU page, headless
// Chromium): where the lab runs in one plain sentence; a glossary one tap
// from the meter labels and captions; the story's pictures showing what its
// words say (the components' difference in step 2, the reversal training
// brings in step 3, untrained panels that are not flat in step 6); each
// message beside the control that caused it; and the reader's own view back
// after the story, and after a reload.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { openPage, shot, STARTUP_MS } from './browser-page.mjs';
import { heldCount, readSeedSpread } from './seed-sweep.mjs';
import { TERMS } from '../web/glossary.js';

// A view of the reader's own, unlike any the story sets: three decoders,
// bilinear in the main view, test digit 7, stretched, pixels not components.
const OWN_VIEW = '#main=bilinear&shown=upsample,transposed,bilinear&input=digit:7&stretch=1';
const JARGON = /--|Burn|flex|SwiftShader|wgpu|Dawn/;

let server;
let browser;
let page;

before(async () => {
  server = await startServer({ port: 0 });
  browser = await launchChromium();
  ({ page } = await openPage(browser, `http://127.0.0.1:${server.address().port}/${OWN_VIEW}`));
  // Every message written anywhere, kept: a note fades after a while.
  await page.evaluate(() => {
    window.saidIn = {};
    for (const slot of document.querySelectorAll('.message')) {
      window.saidIn[slot.id] = [];
      new MutationObserver(() => {
        if (slot.textContent) window.saidIn[slot.id].push(slot.textContent);
      }).observe(slot, { childList: true, subtree: true, characterData: true });
    }
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const settled = () =>
  page.waitForFunction(
    () => {
      const { story, settled: idle } = window.checkerlab;
      return !story?.entering && idle();
    },
    null,
    { timeout: 10 * 60_000 },
  );

/** Clicks the story's Next and waits until step `index` has set the page up. */
async function next(index) {
  await page.click('#story-next');
  await page.waitForFunction((i) => window.checkerlab.story.step === i, index);
  await settled();
}

/** What the reader's view is: the address's words, the view, the two checkboxes. */
const ownView = () =>
  page.evaluate(() => {
    const { inputKind, input, main, shown } = window.checkerlab.view();
    return {
      inputKind,
      input: input.map((v) => Math.round(v * 1000)),
      main,
      shown,
      component: document.getElementById('component').checked,
      stretch: document.getElementById('stretch').checked,
    };
  });

/** The address once it has caught up with the view (it is written a moment after). */
async function settledAddress() {
  await settled();
  await page.waitForTimeout(600);
  return page.evaluate(() => location.hash);
}

/** How strongly a component canvas is coloured: the largest departure from white, 0 to 255. */
const colourStrength = (id) =>
  page.evaluate((canvasId) => {
    const canvas = document.getElementById(canvasId);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let strength = 0;
    for (let i = 0; i < data.length; i += 4) strength = Math.max(strength, 255 - Math.min(data[i], data[i + 2]));
    return strength;
  }, id);

/** The darkest and lightest grey of a panel. */
const greySpan = (id) =>
  page.evaluate((canvasId) => {
    const canvas = document.getElementById(canvasId);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let [low, high] = [255, 0];
    for (let i = 0; i < data.length; i += 4) [low, high] = [Math.min(low, data[i]), Math.max(high, data[i])];
    return high - low;
  }, id);

const figures = () =>
  page.evaluate(() =>
    [...document.querySelectorAll('#story-figures .figure')].map((e) => ({ text: e.textContent, ...e.dataset })),
  );

let before_ = null;

test('the page opens on the address it was given', async () => {
  before_ = { hash: await settledAddress(), view: await ownView() };
  assert.deepEqual(before_.view.shown, ['upsample', 'transposed', 'bilinear']);
  assert.equal(before_.view.main, 'bilinear');
  assert.ok(before_.view.stretch && !before_.view.component);
});

test('where the lab runs reads as one plain sentence, the detail behind "details"', async () => {
  const line = await page.evaluate(() => {
    const backend = document.getElementById('backend');
    return {
      plain: backend.querySelector('.backend-plain')?.textContent,
      visible: backend.innerText,
      detail: backend.querySelector('details')?.textContent,
      open: backend.querySelector('details')?.open,
    };
  });
  const first = line.visible.split(/(?<=\.)\s/)[0];
  assert.doesNotMatch(first, JARGON, `the first sentence: ${first}`);
  assert.match(first, /processor \(CPU\)/);
  assert.equal(line.open, false, 'the detail waits behind "details"');
  assert.match(line.detail, /because/, 'the detail says why');
  await page.click('#backend summary');
  await shot(page, 'words-backend');
  await page.click('#backend summary');
});

test('the glossary opens beside a meter label and a caption, and defines every term', async () => {
  const opened = async (selector) => {
    await page.click(selector);
    await page.waitForSelector('#glossary-popover:popover-open');
    return page.evaluate((s) => {
      const popover = document.getElementById('glossary-popover');
      const term = document.querySelector(s).getBoundingClientRect();
      const box = popover.getBoundingClientRect();
      return {
        term: popover.dataset.term,
        text: popover.querySelector('.glossary-text').textContent,
        gap: Math.min(Math.abs(box.top - term.bottom), Math.abs(term.top - box.bottom)),
        link: popover.querySelector('a').getAttribute('href'),
      };
    }, selector);
  };
  const meter = await opened('#meter-transposed button.term[data-term="stride-energy"]');
  assert.equal(meter.term, 'stride-energy');
  assert.equal(meter.text, TERMS['stride-energy'].text);
  assert.ok(meter.gap < 20, `the definition opens beside the term (${meter.gap} px away)`);
  assert.equal(meter.link, '#glossary-stride-energy');
  await shot(page, 'words-glossary-meter');

  const caption = await opened('#component-scale button.term[data-term="stride-2-component"]');
  assert.equal(caption.text, TERMS['stride-2-component'].text);
  assert.ok(caption.gap < 20, `beside the caption's term (${caption.gap} px away)`);
  await page.keyboard.press('Escape');

  for (const id of ['meter-upsample', 'meter-bilinear']) {
    const terms = await page.$$eval(`#${id} button.term`, (buttons) => buttons.map((b) => b.dataset.term));
    assert.deepEqual(terms, ['bce', 'stride-energy', 'phase-spread'], `${id}: every meter label is a term`);
  }
  const listed = await page.$$eval('#glossary-list dt', (dts) =>
    dts.map((dt) => ({ id: dt.id, text: dt.nextElementSibling.textContent })),
  );
  assert.deepEqual(
    listed,
    Object.entries(TERMS).map(([key, { text }]) => ({ id: `glossary-${key}`, text })),
  );
  const names = Object.values(TERMS).map((t) => t.name);
  for (const name of [
    'BCE',
    'stride energy',
    'phase spread',
    'stride-2 component',
    'code unit',
    'ICNR',
    'zero-order hold',
    'phase (0,0)',
  ]) {
    assert.ok(names.includes(name), `${name} is defined`);
  }
});

test('step 2 shows the stride-energy difference it quotes; its reset says so in the story box', async () => {
  await next(0);
  await next(1);
  const [transposed, upsample] = [
    await colourStrength('component-transposed'),
    await colourStrength('component-upsample'),
  ];
  assert.ok(
    transposed >= 3 * upsample,
    `transposed's component (${transposed}) shows stronger than upsample's (${upsample})`,
  );
  const quoted = await figures();
  for (const decoder of ['transposed', 'upsample']) {
    const share = quoted.find((f) => f.share === decoder);
    assert.ok(share, `${decoder}'s share is quoted`);
    const beside = await page.locator(`#share-${decoder}`).textContent();
    assert.equal(beside, `spans ${share.text} of its range`, `${decoder}: quoted as the panel writes it`);
  }
  const said = await page.evaluate(() => window.saidIn);
  assert.ok(
    said['story-message'].some((m) => /Models reset: untrained/.test(m)),
    JSON.stringify(said['story-message']),
  );
  assert.ok(!said['train-message'].some((m) => /Models reset/.test(m)), 'nothing off-screen in the Train section');
  await shot(page, 'words-step-2');
});

test('step 3 says so when training reverses the order, with the sweep counts', { timeout: 15 * 60_000 }, async () => {
  await next(2);
  const reversed = () =>
    page.evaluate(() => {
      const { results } = window.checkerlab.view();
      return results.transposed.meters.stride_energy < results.upsample.meters.stride_energy;
    });
  assert.ok(!(await reversed()), 'untrained, transposed starts above upsample');
  assert.equal((await figures()).filter((f) => f.sweep).length, 0, 'no reversal sentence before a reversal');

  // The sentence appears with the figures it follows: at that moment the quoted energies are reversed.
  const quotedAtReversal = await page.waitForFunction(
    () => {
      if (!document.querySelector('#story-figures [data-sweep]')) return null;
      const quoted = (d) =>
        Number(document.querySelector(`#story-figures [data-meter][data-decoder="${d}"]`)?.textContent);
      return { transposed: quoted('transposed'), upsample: quoted('upsample') };
    },
    null,
    { timeout: 12 * 60_000 },
  );
  const atReversal = await quotedAtReversal.jsonValue();
  assert.ok(atReversal.transposed <= atReversal.upsample, JSON.stringify(atReversal));
  const stopped = await page.evaluate(() => window.checkerlab.trainingStopped);
  await page.click('#train'); // pause
  await page.waitForFunction((n) => window.checkerlab.trainingStopped > n, stopped, { timeout: 5 * 60_000 });
  await settled();
  const text = await page.locator('#story-figures').textContent();
  if (await reversed()) {
    assert.match(text, /Now transposed measures below upsample/);
    const spread = readSeedSpread();
    for (const f of (await figures()).filter((fig) => fig.sweep)) {
      const { held, seeds } = heldCount(spread, 'transposed', 'upsample', 'trained', f.sweep);
      assert.equal(f.text, `${held} of ${seeds}`, `${f.sweep}: the count is the committed sweep's`);
    }
  } else {
    assert.doesNotMatch(text, /Now transposed measures below/, 'the sentence goes when the order does');
  }
  // Paused: said beside the Train button, not only in the header.
  assert.match(await page.locator('#train-status').textContent(), /^Paused at step \d+/);
  await shot(page, 'words-step-3');
});

test('step 6 untrained shows panels that are not flat, and its reset speaks in the story box', {
  timeout: 15 * 60_000,
}, async () => {
  await next(3);
  await next(4);
  await next(5);
  await page.evaluate(() => {
    window.saidIn['story-message'] = [];
    window.saidIn['train-message'] = [];
  });
  await page.click('#story-actions button:has-text("Untrained")');
  await page.waitForFunction(() => window.checkerlab.decoders.every((d) => /untrained/.test(d.origin)), null, {
    timeout: 10 * 60_000,
  });
  await settled();
  assert.ok(await page.isChecked('#stretch'), 'untrained, the panels are stretched');
  const shown = await page.evaluate(() => window.checkerlab.view().shown);
  for (const decoder of shown) {
    const span = await greySpan(`panel-${decoder}`);
    assert.ok(span >= 128, `${decoder}'s untrained panel spans ${span} grey levels, not flat`);
  }
  for (const { text, ratio } of (await figures()).filter((f) => f.ratio)) {
    assert.doesNotMatch(text, /^0(\.0*)?(e[+-]?0)?x$/, `${ratio}: a zero ratio reads as words`);
  }
  const said = await page.evaluate(() => window.saidIn);
  assert.ok(
    said['story-message'].some((m) => /Models reset: untrained/.test(m)),
    JSON.stringify(said),
  );
  assert.equal(said['train-message'].length, 0, JSON.stringify(said['train-message']));
  await shot(page, 'words-step-6-untrained');
});

test('leaving the story puts the reader’s view back, and a reload opens it', { timeout: 10 * 60_000 }, async () => {
  await page.click('#story-next'); // Done
  await page.waitForFunction(() => window.checkerlab.story.step === -1);
  assert.equal(await settledAddress(), before_.hash);
  assert.deepEqual(await ownView(), before_.view);

  await page.reload();
  await page.waitForFunction(() => window.checkerlab?.ready === true, null, { timeout: STARTUP_MS });
  assert.equal(await settledAddress(), before_.hash);
  assert.deepEqual(await ownView(), before_.view);
});
