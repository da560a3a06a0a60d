// The page laid out for a phone (390x844, touch) and a desktop (1280x900)
// in real headless Chromium: each story step shows its text and what it
// speaks of on one screen, the story covers nothing the step needs, a
// finger opens the magnifier, the legends are one tap away on a phone,
// numbers stay whole on their lines, and key hints show only with a keyboard.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { nextStoryStep, openPage, shot } from './browser-page.mjs';

const SIZES = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 900 } },
};

/**
 * What each story step speaks of, all of which must show in the part of the
 * window the story leaves free: the two decoders compared (and the input
 * they are given), or the overlap explorer's controls and map. Step 6 shows
 * every decoder, more than a phone's screen holds: the pair leads them.
 */
const PAIR = ['#panel-input', '#panel-upsample', '#panel-transposed'];
const SUBJECTS = [PAIR, PAIR, PAIR, PAIR, ['#overlap-kernel-1', '#overlap-map'], PAIR];

/** What the story must not lie over in any step showing the panels: the subject and the decoder toggles. */
const CONTROLS = ['#decoder-chooser'];

let server;
let browser;

before(async () => {
  server = await startServer({ port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

const open = (size) => openPage(browser, `http://127.0.0.1:${server.address().port}/`, SIZES[size]);

const next = nextStoryStep;

/**
 * Where things are, read in the page: the story's box, the part of the
 * window it leaves free, and the boxes of `selectors`.
 */
const geometry = (page, selectors) =>
  page.evaluate((selectors) => {
    const box = (element) => {
      const { left, top, right, bottom } = element.getBoundingClientRect();
      return { left, top, right, bottom };
    };
    const story = box(document.getElementById('story'));
    const [width, height] = [window.innerWidth, window.innerHeight];
    // The larger part of the window on either side of the story: above or below a box across
    // the width, left or right of a column.
    const across = story.right - story.left >= width * 0.9;
    const [before, beyond] = across
      ? [
          { top: 0, bottom: Math.max(0, story.top) },
          { top: Math.min(height, story.bottom), bottom: height },
        ]
      : [
          { left: 0, right: Math.max(0, story.left) },
          { left: Math.min(width, story.right), right: width },
        ];
    const size = (part) => (across ? part.bottom - part.top : part.right - part.left);
    const free = { left: 0, top: 0, right: width, bottom: height, ...(size(before) >= size(beyond) ? before : beyond) };
    return {
      story,
      free,
      window: { left: 0, top: 0, right: width, bottom: height },
      boxes: Object.fromEntries(selectors.map((s) => [s, box(document.querySelector(s))])),
      look: box(document.getElementById('story-look')),
    };
  }, selectors);

const inside = (inner, outer) =>
  inner.left >= outer.left - 1 &&
  inner.top >= outer.top - 1 &&
  inner.right <= outer.right + 1 &&
  inner.bottom <= outer.bottom + 1;
const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const show = (box) =>
  `${Math.round(box.left)},${Math.round(box.top)} to ${Math.round(box.right)},${Math.round(box.bottom)}`;

/**
 * Every number in the meters and amplitudes beside the panels, the legends
 * above them and the story's figures, with the lines it is laid on: more
 * than one line, and it was broken.
 */
const brokenNumbers = (page) =>
  page.evaluate(() => {
    const broken = [];
    const elements = document.querySelectorAll(
      'figure:not([hidden]) .meter-text, figure:not([hidden]) .amplitude, #story-figures .figure, .scale-note',
    );
    for (const element of elements) {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.data.matchAll(/[±+-]?\d[\d.]*(?:e[+-]?\d+)?x?/g)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          if (lines.size > 1) broken.push(`${match[0]} in "${element.textContent}"`);
        }
      }
    }
    return broken;
  });

for (const size of Object.keys(SIZES)) {
  describe(`on a ${size}`, () => {
    let page;
    before(async () => {
      ({ page } = await open(size));
    });
    after(() => page?.close());

    /** What each story step showed: where things were, and any number broken across lines. */
    const seen = [];
    /** Where things were in step 4 once scrolled to the decoder toggles. */
    let scrolled;
    /** The story sheet folded in step 1, where it can fold. */
    let folded;

    test('the story walks its six steps, each screen saved', { timeout: 30 * 60_000 }, async () => {
      for (const [index, subject] of SUBJECTS.entries()) {
        await next(page, index);
        if (index === 2) {
          // Training's own step: a few steps trained, then paused without scrolling to its
          // button, so the page holds still while it is measured.
          await page.waitForFunction(() => (window.checkerlab.lastTrainReport?.step ?? 0) >= 3, null, {
            timeout: 10 * 60_000,
          });
          const stopped = await page.evaluate(() => window.checkerlab.trainingStopped);
          await page.evaluate(() => document.getElementById('train').click());
          await page.waitForFunction(
            (n) => window.checkerlab.trainingStopped > n && window.checkerlab.settled(),
            stopped,
            { timeout: 10 * 60_000 },
          );
        }
        const needed = index === 4 ? subject : [...subject, ...CONTROLS];
        seen.push({
          step: `step ${index + 1}`,
          subject,
          needed,
          ...(await geometry(page, needed)),
          broken: await brokenNumbers(page),
        });
        await shot(page, `layout-${size}-step-${index + 1}`, { fullPage: false });
        if (index === 0 && (await page.isVisible('#story-fold'))) {
          await page.click('#story-fold');
          folded = await page.evaluate(() => ({
            height: document.getElementById('story').getBoundingClientRect().height,
            expanded: document.getElementById('story-fold').getAttribute('aria-expanded'),
          }));
          await shot(page, `layout-${size}-folded`, { fullPage: false });
          await page.click('#story-fold');
        }
        if (index === 3) {
          // Scrolled on to the decoder toggles, as a reader comparing decoders on grey does.
          await page.evaluate(() =>
            window.scrollBy(0, document.getElementById('decoder-chooser').getBoundingClientRect().top - 40),
          );
          scrolled = await geometry(page, CONTROLS);
        }
      }
      await page.click('#story-next'); // Done
      assert.equal(await page.evaluate(() => window.checkerlab.story.step), -1);
    });

    test("each step's text and what it speaks of show together, in the part the story leaves free", () => {
      assert.equal(seen.length, SUBJECTS.length);
      for (const { step, subject, story, free, window, boxes, look } of seen) {
        // The step's text: its first line within the story's box and the window.
        assert.ok(
          look.top >= story.top && look.top + 16 <= Math.min(story.bottom, window.bottom),
          `${step}: text at ${show(look)}, story ${show(story)}`,
        );
        for (const selector of subject) {
          assert.ok(
            inside(boxes[selector], free),
            `${step}: ${selector} at ${show(boxes[selector])}, outside the free ${show(free)}`,
          );
        }
      }
    });

    test('the story lies over nothing a step needs', () => {
      assert.equal(seen.length, SUBJECTS.length);
      for (const { step, needed, story, boxes } of seen) {
        for (const selector of needed) {
          assert.ok(
            !overlaps(boxes[selector], story),
            `${step}: the story ${show(story)} lies over ${selector} ${show(boxes[selector])}`,
          );
        }
      }
      for (const selector of CONTROLS) {
        assert.ok(
          !overlaps(scrolled.boxes[selector], scrolled.story),
          `scrolled to them, the story ${show(scrolled.story)} lies over ${selector} ${show(scrolled.boxes[selector])}`,
        );
      }
    });

    test('no number in the meters or the story breaks across lines', () => {
      assert.equal(seen.length, SUBJECTS.length);
      for (const { step, broken } of seen) assert.deepEqual(broken, [], `${step}: numbers broken across lines`);
    });

    if (size === 'phone') {
      test('the inputs sit above the panels they change, on one screen with them', async () => {
        await page.evaluate(() => document.getElementById('input-buttons').scrollIntoView({ block: 'start' }));
        const { window, boxes } = await geometry(page, ['#input-buttons', '#digits', ...PAIR]);
        for (const selector of ['#input-buttons', '#digits', ...PAIR]) {
          assert.ok(inside(boxes[selector], window), `${selector} at ${show(boxes[selector])} is on screen`);
        }
        assert.ok(boxes['#digits'].bottom <= boxes['#panel-input'].top, 'the test digits come before the panels');
        await page.tap('#input-buttons button:has-text("Noise")');
        await page.waitForFunction(() => window.checkerlab.view().inputKind === 'noise' && window.checkerlab.settled());
        await shot(page, 'layout-phone-inputs', { fullPage: false });
      });

      test('a finger resting on a panel opens the magnifier, which stays until a touch elsewhere', async () => {
        await page.evaluate(() => document.getElementById('panels').scrollIntoView({ block: 'start' }));
        const panel = await page.locator('#panel-transposed').boundingBox();
        const touch = await page.context().newCDPSession(page);
        const at = (x, y) => [{ x: Math.round(x), y: Math.round(y) }];
        const [x, y] = [panel.x + panel.width / 2, panel.y + panel.height / 2];
        await touch.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(x, y) });
        await page.waitForTimeout(600);
        assert.ok(await page.isVisible('#zoom'), 'held, the magnifier opens');
        assert.match(await page.locator('#zoom').innerText(), /row \d+, column \d+/);
        const box = await page.locator('#zoom').boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= 390, `the magnifier fits the phone: ${JSON.stringify(box)}`);
        await touch.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
        await page.waitForTimeout(200);
        assert.ok(await page.isVisible('#zoom'), 'released, it stays to be read');
        await shot(page, 'layout-phone-zoom', { fullPage: false });
        await page.tap('#caption-input');
        assert.ok(await page.isHidden('#zoom'), 'a touch elsewhere closes it');
        await page.tap('#panel-upsample');
        await page.waitForSelector('#zoom:not([hidden])', { timeout: 2000 });
        await page.tap('#caption-input');
        assert.ok(await page.isHidden('#zoom'), 'a tap opened it too, and a touch elsewhere closed it');
      });

      test('the story folds to one line of buttons', () => {
        assert.equal(folded?.expanded, 'false');
        assert.ok(folded.height <= 64, `folded, the story is ${folded.height} px high`);
      });

      test('the legends are folded, one tap away, and the key hint waits for a keyboard', async () => {
        assert.ok(await page.isHidden('#component-scale'), 'folded at first');
        await page.tap('#legends > summary');
        for (const legend of ['#component-scale', '#meter-scale']) {
          assert.ok(await page.isVisible(legend), `${legend} opens with one tap`);
          assert.match(await page.locator(legend).innerText(), /\d/);
        }
        assert.deepEqual(await brokenNumbers(page), [], 'opened, the legends keep their numbers whole');
        assert.doesNotMatch(await page.locator('#toggle').innerText(), /T for/, 'no key hint on a touch phone');
        await shot(page, 'layout-phone-legends', { fullPage: false });
        await page.keyboard.press('Shift'); // a keyboard joins the phone
        assert.match(await page.locator('#toggle').innerText(), /T for the next shown/, 'with a keyboard, the hint');
      });
    } else {
      test('the legends are open and the key hint is shown', async () => {
        assert.ok((await page.isVisible('#component-scale')) && (await page.isVisible('#meter-scale')));
        assert.match(await page.locator('#toggle').innerText(), /T for the next shown/);
      });
    }
  });
}
