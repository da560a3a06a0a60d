// The guided story in real headless Chromium (the CPU backend): each of its
// steps puts the page into the state it describes, and every figure it
// quotes is the one the page shows beside the panels at that moment.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { nextStoryStep, openPage, shot } from './browser-page.mjs';
import { ratioText, sweepConclusion } from '../web/story-conclusion.js';
import { heldCount, readSeedSpread, statedCount } from './seed-sweep.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startServer({ port: 0 });
  browser = await launchChromium();
  ({ page } = await openPage(browser, `http://127.0.0.1:${server.address().port}/`));
});

after(async () => {
  await browser?.close();
  server?.close();
});

const next = (index) => nextStoryStep(page, index);

/**
 * The story's quoted figures and what the page shows, read at one moment,
 * then held against each other: each decoder's stride energy against its
 * panel's meter text, the components' scale against the note above the
 * panels, each peak against the panel's amplitude, each ratio against the
 * meters it divides, white noise's level against the bars' legend. Returns the figures and the page's view.
 */
async function quotedFigures() {
  const { figures, meters, amplitudes, shares, scaleNote, meterNote, view } = await page.evaluate(() => {
    const text = (selector) => [...document.querySelectorAll(selector)].map((e) => [e.id, e.textContent]);
    return {
      figures: [...document.querySelectorAll('#story-figures .figure')].map((e) => ({
        text: e.textContent,
        ...e.dataset,
      })),
      meters: Object.fromEntries(text('.meter-text')),
      amplitudes: Object.fromEntries(text('.amplitude')),
      shares: Object.fromEntries(text('.component-share')),
      scaleNote: document.getElementById('component-scale').textContent,
      meterNote: document.getElementById('meter-scale').textContent,
      view: window.checkerlab.view(),
    };
  });
  assert.ok(figures.length > 0, 'the step quotes figures');
  assert.ok(!figures.some((f) => f.text === '…'), `every figure is measured: ${JSON.stringify(figures)}`);
  for (const { text, decoder, meter, component, share, ratio, noise } of figures) {
    if (noise !== undefined) assert.ok(meterNote.includes(`white noise (${text})`), meterNote);
    if (meter) {
      assert.ok(view.shown.includes(decoder), `${decoder} is shown`);
      const panel = /stride energy (\S+)/.exec(meters[`meter-${decoder}`])?.[1];
      assert.equal(text, panel, `${decoder}'s quoted stride energy is its panel's`);
    }
    if (component === 'range') assert.ok(scaleNote.includes(`full colour = ${text} grey levels`), scaleNote);
    else if (component) assert.equal(`${text} grey levels`, amplitudes[`amplitude-${component}`]);
    if (share) assert.equal(`spans ${text} of its range`, shares[`share-${share}`], `${share}'s share is its panel's`);
    if (ratio) {
      const [a, b] = ratio.split('/');
      const energy = (d) => view.results[d].meters.stride_energy;
      const actual = energy(a) / energy(b);
      if (actual > 0 && Number.isFinite(actual)) {
        const quoted = Number.parseFloat(text);
        assert.ok(Math.abs(quoted - actual) <= 0.051 * Math.max(1, actual), `${ratio}: quoted ${text}, is ${actual}`);
      } else assert.equal(text, ratioText(energy(a), energy(b)), `${ratio}: a zero reads as words`);
    }
  }
  return { figures, view };
}

const pick = (figures, key, value) => figures.find((f) => f[key] === value);

/** Step 6's answer from the seed sweep as the page shows it: the sentence and the seed-by-seed lines. */
const conclusion = () =>
  page.evaluate(() => ({
    hidden: document.getElementById('story-conclusion').hidden,
    text: document.querySelector('#story-conclusion .story-answer')?.textContent,
    lines: [...document.querySelectorAll('#story-conclusion li')].map((li) => ({ ...li.dataset })),
  }));

/**
 * Holds step 6's answer against the committed sweep file: each fix's count
 * on grey and noise as the file supports it, counted here, in the sentence
 * and in the seed-by-seed lines; and the sentence as a whole as the
 * conclusion module draws it from that file.
 */
async function assertConclusion(stage, { reference, patterned, all }) {
  const spread = readSeedSpread();
  const fixes = all.filter((d) => d !== reference && d !== patterned);
  const { hidden, text, lines } = await conclusion();
  assert.ok(!hidden && text, 'step 6 answers from the seed sweep');
  for (const probe of ['grey', 'noise']) {
    for (const fix of fixes) {
      const expected = heldCount(spread, fix, reference, stage, probe);
      const stated = statedCount(text, probe, fix);
      assert.equal(stated?.held, expected.held, `${stage}, ${fix} on ${probe}: ${text}`);
      if (stated.seeds !== null) assert.equal(stated.seeds, expected.seeds, `${stage}, ${fix} on ${probe}: ${text}`);
    }
    for (const decoder of [...fixes, patterned]) {
      const line = lines.find((l) => l.probe === probe && l.decoder === decoder);
      const expected = heldCount(spread, decoder, reference, stage, probe);
      assert.deepEqual({ held: Number(line?.held), seeds: Number(line?.seeds) }, expected, `${decoder} on ${probe}`);
    }
  }
  const question = { reference, baseline: patterned, fixes, stage, probes: ['grey', 'noise'] };
  assert.equal(text, sweepConclusion(spread, question).text);
  return text;
}

const decoders = () => page.evaluate(() => window.checkerlab.decoders);

test('the story walks through its steps, each setting the page up and quoting its meters', {
  timeout: 30 * 60_000,
}, async () => {
  const { steps, pair, all } = await page.evaluate(() => ({
    steps: window.checkerlab.story.steps,
    pair: window.checkerlab.catalog.first_shown,
    all: window.checkerlab.catalog.decoders.map((d) => d.name),
  }));
  const [reference, patterned] = pair;
  assert.equal(steps, 6);

  // 1. Two trained decoders on a digit.
  await next(0);
  let { figures, view } = await quotedFigures();
  assert.deepEqual(view.shown, pair);
  assert.equal(view.main, patterned);
  assert.equal(view.inputKind, 'digit');
  assert.ok(!(await page.isChecked('#component')) && !(await page.isChecked('#stretch')), 'the pixels as they are');
  for (const d of await decoders()) assert.match(d.origin, /shipped/, `${d.name} has the shipped weights`);

  // 2. The same models untrained: the transposed one paints the pattern.
  await next(1);
  ({ figures, view } = await quotedFigures());
  for (const d of await decoders()) assert.match(d.origin, /untrained/, `${d.name} is untrained`);
  assert.ok(await page.isChecked('#stretch'), 'untrained outputs are shown contrast-stretched');
  const span = await page.evaluate((name) => {
    const canvas = document.getElementById(`panel-${name}`);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let [low, high] = [255, 0];
    for (let i = 0; i < data.length; i += 4) [low, high] = [Math.min(low, data[i]), Math.max(high, data[i])];
    return [low, high];
  }, patterned);
  assert.deepEqual(span, [0, 255], `${patterned}'s panel spans black to white`);
  const untrained = pick(figures, 'decoder', patterned).text;
  const ratio = Number.parseFloat(pick(figures, 'ratio', `${patterned}/${reference}`).text);
  assert.ok(ratio >= 3, `untrained, ${patterned} has ${ratio} times ${reference}'s stride energy`);
  assert.ok(pick(figures, 'noise', ''), "white noise's level is quoted");
  const [spans, plain] = [pick(figures, 'share', patterned), pick(figures, 'share', reference)].map((f) =>
    Number.parseFloat(f.text),
  );
  assert.ok(
    spans >= 3 * plain,
    `stretched, ${patterned}'s component spans ${spans}% of its range, ${reference}'s ${plain}%`,
  );
  await shot(page, 'story-untrained');

  // 3. Training from there: the story quotes the step and the meters at step 0.
  await next(2);
  await page.waitForFunction(() => (window.checkerlab.lastTrainReport?.step ?? 0) >= 3, null, {
    timeout: 10 * 60_000,
  });
  const stopped = await page.evaluate(() => window.checkerlab.trainingStopped);
  await page.click('#train'); // pause
  await page.waitForFunction((n) => window.checkerlab.trainingStopped > n && window.checkerlab.settled(), stopped, {
    timeout: 10 * 60_000,
  });
  ({ figures, view } = await quotedFigures());
  const report = await page.evaluate(() => window.checkerlab.lastTrainReport);
  assert.equal(Number(pick(figures, 'steps', '').text), report.step, 'the story quotes the steps trained');
  assert.equal(pick(figures, 'start', patterned).text, untrained, 'step 0 is the untrained figure of step 2');
  for (const d of await decoders()) {
    if (pair.includes(d.name)) assert.equal(d.steps, report.step, `${d.name} trained`);
  }

  // 4. The shipped models off the data: grey.
  await next(3);
  ({ figures, view } = await quotedFigures());
  assert.equal(view.inputKind, 'grey');
  for (const d of await decoders()) assert.match(d.origin, /shipped/, `${d.name} is back to the shipped weights`);
  assert.ok((await page.isChecked('#component')) && !(await page.isChecked('#stretch')), 'one shared scale');
  assert.ok(pick(figures, 'component', patterned) && pick(figures, 'component', reference), 'both peaks are quoted');
  await page.click('#story-actions button:has-text("Noise")');
  await page.waitForFunction(() => window.checkerlab.view().inputKind === 'noise' && window.checkerlab.settled());
  await quotedFigures();
  await shot(page, 'story-off-the-data');

  // 5. The cause: the overlap explorer's counts, kernel 3 then kernel 4.
  await next(4);
  const taps = () => page.evaluate(() => document.querySelector('#story-figures [data-taps]')?.textContent);
  const layers = () => page.evaluate(() => window.checkerlab.overlap().layers);
  assert.deepEqual(await layers(), [{ kernel: 3, stride: 2 }]);
  assert.equal(await taps(), '1, 2, 4', 'kernel 3, stride 2: 1, 2 or 4 taps');
  await page.click('#story-actions button:has-text("Kernel 4, stride 2")');
  await page.waitForFunction(() => window.checkerlab.overlap().layers[0].kernel === 4);
  assert.equal(await taps(), '4', 'kernel 4, stride 2: every pixel gets 4 taps');

  // 6. The fixes: every decoder on grey, lowest stride energy first.
  await next(5);
  ({ figures, view } = await quotedFigures());
  assert.deepEqual(view.shown, all);
  const quoted = figures.filter((f) => f.meter).map((f) => f.decoder);
  assert.deepEqual([...quoted].sort(), [...all].sort(), 'every decoder is quoted');
  const energies = quoted.map((d) => view.results[d].meters.stride_energy);
  assert.deepEqual(
    energies,
    [...energies].sort((a, b) => a - b),
    'lowest first',
  );
  const trainedAnswer = await assertConclusion('trained', { reference, patterned, all });
  await shot(page, 'story-fixes');

  // The seed-by-seed detail stays open while the figures above it are written again.
  await page.click('#story-conclusion summary');
  await page.click('#story-actions button:has-text("Noise")');
  await page.waitForFunction(() => window.checkerlab.view().inputKind === 'noise' && window.checkerlab.settled());
  await quotedFigures();
  assert.ok(
    await page.evaluate(() => document.querySelector('#story-conclusion details').open),
    'the detail stays open',
  );
  assert.equal((await conclusion()).text, trainedAnswer);

  // Untrained, the answer is the sweep's for untrained models, and any zero among the figures reads as words.
  await page.click('#story-actions button:has-text("Untrained")');
  await page.waitForFunction(
    () => window.checkerlab.decoders.every((d) => /untrained/.test(d.origin)) && window.checkerlab.settled(),
    null,
    { timeout: 10 * 60_000 },
  );
  ({ figures } = await quotedFigures());
  for (const { text, ratio } of figures.filter((f) => f.ratio)) {
    assert.doesNotMatch(text, /^0(\.0*)?(e[+-]?0)?x$/, `${ratio}: a zero ratio reads as words`);
  }
  await assertConclusion('untrained', { reference, patterned, all });

  await page.click('#story-next'); // Done
  assert.equal(await page.evaluate(() => window.checkerlab.story.step), -1);
  assert.ok(await page.isHidden('#story-step'));
});
