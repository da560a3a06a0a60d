// The page's words, defined once: each term the page uses (in meter labels,
// captions, notes, the story) becomes a small button that opens its plain
// definition beside it, with a link to the glossary section that lists them
// all. Plain words first, the detail one tap away.

import { wholeNumbers } from './whole-numbers.js';

/**
 * Each term: its heading, the phrases that name it in the page's text, and
 * a definition a newcomer can read in one breath.
 * @type {Record<string, {name: string, pattern: RegExp, text: string}>}
 */
export const TERMS = {
  bce: {
    name: 'BCE',
    pattern: /\bBCE\b/,
    text: "Binary cross-entropy, the loss the models are trained to lower: how far each reconstructed pixel is from the input's, averaged over the image. Lower means a closer copy.",
  },
  'stride-energy': {
    name: 'stride energy',
    pattern: /\bstride[- ]energy\b/i,
    text: "The share of an image's variation that repeats every two pixels (one-pixel stripes and checks): 0 for a smooth image, 1 for a pure checkerboard. A share, not an amount: a faint image can score high if most of what little it varies is checkerboard.",
  },
  'phase-spread': {
    name: 'phase spread',
    pattern: /\bphase spread\b/i,
    text: "Split the image into its four interleaved 2x2 grids (even or odd rows, even or odd columns) and take each one's mean brightness: the phase spread is how far apart those four means are. A checkerboard pulls them apart.",
  },
  phase: {
    name: 'phase (0,0)',
    pattern: /\b(?:2x2 phases|phase \d,\d)\b/,
    text: 'Which of the four interleaved 2x2 grids a pixel belongs to: its row even (0) or odd (1), then its column. Phase 0,0 is every pixel on an even row and an even column; a stride-2 layer can treat each phase differently.',
  },
  'stride-2-component': {
    name: 'stride-2 component',
    pattern: /\bstride-2 components?\b/i,
    text: 'The part of an image that repeats every two pixels: its column stripes, row stripes and checkerboard. The page draws it red where it lightens the image and blue where it darkens it; a smooth image has none.',
  },
  'code-unit': {
    name: 'code unit',
    pattern: /\bcode units?\b/i,
    text: 'The encoder squeezes each image into a code of 4x4x8 = 128 numbers. A code unit input sets one of those numbers to 1 and the rest to 0, to show what that one number makes the decoder paint.',
  },
  icnr: {
    name: 'ICNR',
    pattern: /\bICNR\b/,
    text: "Short for 'initialisation to convolution nearest-neighbour resize' (Aitken et al., 2017): a sub-pixel decoder's four phases start as copies of each other, so before training it paints no checkerboard. Training can still pull them apart.",
  },
  'zero-order-hold': {
    name: 'zero-order hold',
    pattern: /\bzero-order hold\b/i,
    text: 'A fixed 2x2 box filter after each transposed convolution: every output pixel becomes the sum of a 2x2 block, which evens out what the four phases paint, so a constant input gives a constant output (Sugawara et al., 2019).',
  },
};

const POPOVER_ID = 'glossary-popover';
const sectionId = (key) => `glossary-${key}`;

/** A button naming `key`'s term as `label` (the words of the text it sits in); it opens the definition. */
export function term(key, label = TERMS[key].name) {
  const button = Object.assign(document.createElement('button'), {
    type: 'button',
    className: 'term',
    textContent: label,
  });
  button.dataset.term = key;
  button.setAttribute('aria-haspopup', 'dialog');
  return button;
}

/**
 * `text` as nodes, with the first mention of each glossary term made a
 * button; the text reads exactly as before (its textContent is unchanged).
 */
export function withTerms(text) {
  const mentions = [];
  for (const [key, { pattern }] of Object.entries(TERMS)) {
    const found = pattern.exec(text);
    if (found) mentions.push({ key, start: found.index, end: found.index + found[0].length });
  }
  mentions.sort((a, b) => a.start - b.start);
  const nodes = [];
  let at = 0;
  for (const { key, start, end } of mentions) {
    if (start < at) continue; // overlaps a term already taken ("phase" inside "phase spread")
    if (start > at) nodes.push(...wholeNumbers(text.slice(at, start)));
    nodes.push(term(key, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) nodes.push(...wholeNumbers(text.slice(at)));
  return nodes;
}

/**
 * Writes `text` into `element` with its terms as buttons, only when the
 * text changed: rebuilding a button between the press and the release of a
 * click would swallow the click, and notes are rewritten on every paint.
 */
export function writeWithTerms(element, text) {
  if (element.dataset.text === text) return;
  element.dataset.text = text;
  element.replaceChildren(...withTerms(text));
}

/**
 * Builds the glossary section's list and the one popover every term opens,
 * and turns the terms in the page's fixed texts (marked `data-terms`) into
 * buttons.
 * @param {HTMLElement} list the glossary section's definition list
 */
export function setupGlossary(list) {
  list.replaceChildren(
    ...Object.entries(TERMS).flatMap(([key, { name, text }]) => [
      Object.assign(document.createElement('dt'), { id: sectionId(key), textContent: name }),
      Object.assign(document.createElement('dd'), { textContent: text }),
    ]),
  );
  for (const element of document.querySelectorAll('[data-terms]')) writeWithTerms(element, element.textContent);

  const popover = Object.assign(document.createElement('div'), { id: POPOVER_ID, className: 'glossary-popover' });
  popover.popover = 'auto';
  popover.setAttribute('role', 'dialog');
  document.body.append(popover);
  document.addEventListener('click', (event) => {
    const button = event.target.closest?.('button.term');
    if (button) open(popover, button);
  });
}

/** Shows the definition of `button`'s term just below it, kept inside the window. */
function open(popover, button) {
  const key = button.dataset.term;
  const { name, text } = TERMS[key];
  const more = Object.assign(document.createElement('a'), {
    href: `#${sectionId(key)}`,
    textContent: 'All the words in the glossary',
  });
  more.addEventListener('click', () => popover.hidePopover());
  popover.dataset.term = key;
  popover.replaceChildren(
    Object.assign(document.createElement('b'), { textContent: name }),
    ' ',
    Object.assign(document.createElement('span'), { className: 'glossary-text', textContent: text }),
    ' ',
    more,
  );
  popover.setAttribute('aria-label', name);
  if (!popover.matches(':popover-open')) popover.showPopover();
  const anchor = button.getBoundingClientRect();
  const width = popover.offsetWidth;
  const left = Math.max(8, Math.min(anchor.left, window.innerWidth - width - 8));
  const below = anchor.bottom + 6;
  let top =
    below + popover.offsetHeight > window.innerHeight ? Math.max(8, anchor.top - popover.offsetHeight - 6) : below;
  // A term in the story's bottom sheet opens above the sheet: over it, the
  // definition would cover the sheet's Back, Next and Close.
  const story = button.closest('.story');
  if (story && getComputedStyle(story).position === 'fixed') {
    const sheet = story.getBoundingClientRect();
    if (sheet.top > popover.offsetHeight + 14) top = sheet.top - popover.offsetHeight - 6;
  }
  Object.assign(popover.style, { left: `${left}px`, top: `${top}px` });
}
