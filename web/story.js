// The guided story, "Why the checkerboard?": six steps, each of which puts
// the live page into a state and says where to look. Every figure a step
// quotes is read from what the page shows at that moment (the panels'
// meters, the components' shared scale, the overlap explorer's counts) and
// is written again whenever those change, so the text never disagrees with
// the panels beneath it. The last step also answers from the seed sweep
// (seed-spread.json), which the page cannot measure.

import { chooseDigit, chooseInput } from './inputs.js';
import { errorText } from './messages.js';
import { meterText } from './meters.js';
import { interiorCounts } from './overlap.js';
import {
  inputCaption,
  paintMain,
  setComponentView,
  setStretch,
  shareText,
  sharedComponents,
} from './reconstruction.js';
import { bringIntoView, foldable } from './story-layout.js';
import { greyText } from './render.js';
import { pairedOutcome, ratioText, seedLines, sweepConclusion } from './story-conclusion.js';
import { withTerms } from './glossary.js';
import { pauseTraining, resetModels, startTraining } from './training.js';

/** A figure as the page shows it, marked with its source so a test can hold it against the panel. */
function figure(text, data = {}) {
  const span = Object.assign(document.createElement('span'), { className: 'figure', textContent: text });
  Object.assign(span.dataset, data);
  return span;
}

const strideEnergy = (ctx, decoder) => ctx.state.results[decoder]?.meters.stride_energy;

/** A decoder's stride energy on the current input, as its panel writes it. */
function energy(ctx, decoder) {
  const value = strideEnergy(ctx, decoder);
  return value === undefined ? figure('…') : figure(meterText(value), { decoder, meter: 'stride_energy' });
}

/** Within this factor of each other, two stride energies read as level. */
const LEVEL = 1.5;

/** How `decoder`'s stride energy compares with `reference`'s, in words that follow the figures. */
function comparison(ctx, decoder, reference) {
  const [value, base] = [strideEnergy(ctx, decoder), strideEnergy(ctx, reference)];
  if (value === undefined || base === undefined) return ['…'];
  const ratio = value / base;
  const times = figure(ratioText(value, base, ' times'), { ratio: `${decoder}/${reference}` });
  if (!Number.isFinite(ratio)) return ['while ', `${reference}'s is `, energy(ctx, reference), ' (', times, ')'];
  if (ratio >= LEVEL) return [times, ` ${reference}'s `, energy(ctx, reference)];
  if (ratio > 1 / LEVEL) return ['about level with ', `${reference}'s `, energy(ctx, reference), ' (', times, ')'];
  return ['below ', `${reference}'s `, energy(ctx, reference), ' (', times, ')'];
}

/** "On <input>: transposed's stride energy is E, N times upsample's E'": the pair compared on the current input. */
function pairFigures(ctx, story) {
  return [
    `On ${inputCaption(ctx)}: ${story.patterned}'s stride energy is `,
    energy(ctx, story.patterned),
    ', ',
    ...comparison(ctx, story.patterned, story.reference),
  ];
}

/** The components' shared full scale, in grey levels, as the note above the panels states it. */
function componentScale(ctx) {
  return figure(`±${greyText(sharedComponents(ctx.state).range)}`, { component: 'range' });
}

function componentPeak(ctx, decoder) {
  const component = sharedComponents(ctx.state).byDecoder[decoder];
  return component ? figure(`±${greyText(component.peak)}`, { component: decoder }) : figure('…');
}

/** A component's span as a share of its own image's range, as the note beside its panel writes it. */
function componentShare(ctx, decoder) {
  const component = sharedComponents(ctx.state).byDecoder[decoder];
  return component ? figure(shareText(component.share), { share: decoder }) : figure('…');
}

/** Within this factor of each other, two components' peaks look alike on one scale. */
const ALIKE = 2;

/**
 * Why the pair's components differ when stretched though their grey levels
 * may not: each spans a share of its own image's range, and stride energy
 * is such a share.
 */
function componentShares(ctx, story) {
  const { byDecoder } = sharedComponents(ctx.state);
  const [patterned, reference] = [byDecoder[story.patterned], byDecoder[story.reference]];
  if (!patterned || !reference) return ['…'];
  const alike = Math.max(patterned.peak, reference.peak) <= ALIKE * Math.min(patterned.peak, reference.peak);
  return [
    `. Each stride-2 component beside its panel is stretched like the panel: ${story.patterned}'s spans `,
    componentShare(ctx, story.patterned),
    ` of its image's range, ${story.reference}'s `,
    componentShare(ctx, story.reference),
    `. In grey levels they measure `,
    componentPeak(ctx, story.patterned),
    ' and ',
    componentPeak(ctx, story.reference),
    alike
      ? ", about alike: on one absolute scale (stretch off) the two would look equally strong. Stride energy is a share of each image's own variation, not an amount, so the stretched view is the one that shows it."
      : ": stride energy is a share of each image's own variation, not an amount.",
  ];
}

/**
 * When training has put the patterned decoder below the reference on the
 * current input, the reverse of step 2, the sentence that says so and why,
 * with the seed sweep's counts: on the test digits, where the loss looks,
 * and on grey, where it does not.
 */
function reversal(ctx, story) {
  const { patterned, reference } = story;
  const [value, base] = [strideEnergy(ctx, patterned), strideEnergy(ctx, reference)];
  if (!story.start || ctx.state.origin.steps <= story.start.step || !(value < base)) return [];
  const parts = [
    ` Now ${patterned} measures below ${reference} on this input, the reverse of the untrained models: training on digits teaches it to cancel its own pattern where the loss looks, on digits.`,
  ];
  const { spread } = story.sweep;
  if (!spread) return parts;
  const count = (probe) => {
    const outcome = pairedOutcome(spread, patterned, reference, 'trained', probe);
    return outcome && { probe, held: outcome.held, seeds: outcome.seeds.length };
  };
  const [digits, grey] = [count('digits'), count('grey')];
  if (!digits) return parts;
  const counted = ({ probe, held, seeds }) =>
    figure(`${held} of ${seeds}`, { sweep: probe, held: String(held), seeds: String(seeds) });
  parts.push(
    ` Over the seed sweep, trained to the end, ${patterned} stayed at or below ${reference}'s stride energy on the test digits for `,
    counted(digits),
    ' seeds',
  );
  if (grey) parts.push(', but on a constant grey, which no digit resembles, for ', counted(grey), ' (step 4)');
  parts.push('.');
  return parts;
}

/**
 * The steps. `enter` puts the page into the step's state through the same
 * calls the page's own controls make; `look` says where to look; `figures`
 * quotes the page as it is now; `actions` are buttons for variations;
 * `view` is the element brought into view (the drawing pad, beside the
 * panels, unless said).
 */
const STEPS = [
  {
    title: 'Two decoders, one digit',
    async enter(story) {
      await story.trainedModels();
      await story.show(story.pair, story.patterned, { component: false, stretch: false });
      if (!['drawing', 'digit'].includes(story.ctx.state.inputKind))
        await chooseDigit(story.ctx, story.ctx.state.digit);
    },
    look: (story) =>
      `Both decoders shown were trained on MNIST digits: ${story.reference} upsamples then convolves, ${story.patterned} uses stride-2 transposed convolutions. Draw a digit in the drawing box, or pick a test digit: both reconstructions look like it. Beside each panel is its stride-2 component, the part of the image that repeats every two pixels, amplified on one scale shared by all panels.`,
    figures: (ctx, story) => [
      ...pairFigures(ctx, story),
      '. The components are drawn with full colour at ',
      componentScale(ctx),
      ' grey levels of 255.',
    ],
  },
  {
    title: 'Untrained, the pattern is already there',
    async enter(story) {
      await story.untrainedModels();
      await story.show(story.pair, story.patterned, { component: false, stretch: true });
    },
    look: (story) =>
      `The same two architectures with fresh random weights (drawn as Keras draws a new layer's weights, seed ${story.seed()}), before any training. Their outputs barely vary around mid-grey (see how few grey levels the components span), so the panels and their stride-2 components are now contrast-stretched, each over its own image's range, which is how the stride-energy meter sees them: ${story.reference}'s variation is smooth patches, ${story.patterned}'s alternates from one pixel to the next, in stripes and checks that repeat every two pixels. Feed them grey or noise: the same on every input, because it comes from the architecture, not from anything learned.`,
    actions: [
      ['Grey', (story) => chooseInput(story.ctx, 'grey')],
      ['Noise', (story) => chooseInput(story.ctx, 'noise')],
      ['A test digit', (story) => chooseDigit(story.ctx, story.ctx.state.digit)],
    ],
    figures: (ctx, story) => [
      ...pairFigures(ctx, story),
      ...(ctx.references
        ? ['; white noise scores ', figure(meterText(ctx.references.noise.stride_energy), { noise: '' })]
        : []),
      ...componentShares(ctx, story),
    ],
  },
  {
    title: 'Training hides it where the loss looks',
    async enter(story) {
      const { ctx } = story;
      if (!ctx.state.untrained) await story.untrainedModels();
      await story.show(story.pair, story.patterned, { component: false, stretch: true });
      await chooseDigit(ctx, ctx.state.digit);
      await story.settle();
      story.start = {
        step: ctx.state.origin.steps,
        input: inputCaption(ctx),
        energies: Object.fromEntries(story.pair.map((d) => [d, strideEnergy(ctx, d)])),
      };
      startTraining(ctx);
    },
    look: (story) =>
      `Training has started from those untrained models, on MNIST batches, with the settings in the Train section. In the contrast-stretched panels, watch ${story.patterned}'s checkerboard give way to the digit as the loss falls: a per-pixel loss on digits teaches it to cancel its own pattern there (its stride energy can rise for a few steps first). The stride-energy chart in the Train section records it step by step; Pause, here or beside the Train section's settings, stops training.`,
    actions: [
      ['Pause', (story) => pauseTraining(story.ctx)],
      // Not awaited: the returned promise settles only when training stops.
      [
        'Go on training',
        async (story) => {
          startTraining(story.ctx);
        },
      ],
    ],
    figures: (ctx, story) => {
      const { start } = story;
      if (!start) return ['…'];
      const was = (decoder) => figure(meterText(start.energies[decoder]), { start: decoder });
      return [
        `${ctx.state.training ? 'Step' : 'Paused at step'} `,
        figure(String(ctx.state.origin.steps), { steps: '' }),
        ` on ${inputCaption(ctx)}: ${story.patterned}'s stride energy `,
        energy(ctx, story.patterned),
        ` (at step ${start.step}: `,
        was(story.patterned),
        `), ${story.reference}'s `,
        energy(ctx, story.reference),
        ' (',
        was(story.reference),
        ').',
        ...reversal(ctx, story),
      ];
    },
  },
  {
    title: 'Off the data, it survives',
    async enter(story) {
      await story.trainedModels({ always: true });
      await story.show(story.pair, story.patterned, { component: true, stretch: false });
      await chooseInput(story.ctx, 'grey');
    },
    look: (story) =>
      `Back to the shipped weights, trained on digits until their reconstructions look clean (step 1). The input is a constant grey, which no training digit resembles: nothing in the loss ever asked ${story.patterned} to cancel its pattern here. The main view and the components beside the panels now share one scale in grey levels, so a flat decoder looks flat beside a patterned one. Try noise and single code units too. These are one trained model of each; step 6 reports how the comparison varies over training seeds.`,
    actions: [
      ['Grey', (story) => chooseInput(story.ctx, 'grey')],
      ['Noise', (story) => chooseInput(story.ctx, 'noise')],
      ['Next code unit', (story) => chooseInput(story.ctx, 'unit')],
    ],
    figures: (ctx, story) => [
      ...pairFigures(ctx, story),
      '; its component peaks at ',
      componentPeak(ctx, story.patterned),
      ` grey levels, ${story.reference}'s at `,
      componentPeak(ctx, story.reference),
      '.',
    ],
  },
  {
    title: 'The cause: uneven overlap',
    async enter(story) {
      await story.overlap([{ kernel: 3, stride: 2 }]);
    },
    view: 'overlap',
    look: () =>
      "A transposed convolution paints each input pixel's kernel onto the output, one stride apart. With kernel 3 and stride 2 the footprints overlap on every other row and column, so some output pixels are reached by more kernel taps than their neighbours, before any weight is learned. The map in the overlap explorer counts the taps (the lab's own transposed-convolution layer, every weight 1). Compare kernel 4, where the overlap is even.",
    actions: [
      ['Kernel 3, stride 2', (story) => story.overlap([{ kernel: 3, stride: 2 }])],
      ['Kernel 4, stride 2', (story) => story.overlap([{ kernel: 4, stride: 2 }])],
      [
        'Three kernel-3 layers',
        (story) =>
          story.overlap([
            { kernel: 3, stride: 2 },
            { kernel: 3, stride: 2 },
            { kernel: 3, stride: 2 },
          ]),
      ],
    ],
    figures: (ctx) => {
      const last = ctx.overlap.last;
      const interior = last && interiorCounts(last);
      if (!interior) return ['…'];
      const counts = [...new Set(interior)].sort((a, b) => a - b);
      const layers = last.layers.map((l) => `kernel ${l.kernel}, stride ${l.stride}`).join(' then ');
      const period = last.layers.reduce((p, l) => p * l.stride, 1);
      const taps = figure(counts.join(', '), { taps: '' });
      return counts.length > 1
        ? [
            `${layers}: away from the borders, output pixels receive `,
            taps,
            ` taps, in a pattern that repeats every ${period} pixels. That is the checkerboard's cause.`,
          ]
        : [
            `${layers}: away from the borders, every output pixel receives `,
            taps,
            ' taps, an even overlap. The 2x2 phases still use different kernel weights, so the pattern can still be learned (step 6).',
          ];
    },
  },
  {
    title: 'The fixes',
    async enter(story) {
      await story.trainedModels({ always: true });
      await story.show(
        story.ctx.catalog.decoders.map((d) => d.name),
        story.patterned,
        { component: true, stretch: false },
      );
      await chooseInput(story.ctx, 'grey');
    },
    look: (story) => {
      const fixes = story.ctx.catalog.decoders.filter((d) => !story.pair.includes(d.name)).map((d) => d.name);
      return `The other decoders are fixes proposed since, each trained the same way: ${fixes.slice(0, -1).join(', ')} and ${fixes.at(-1)} (each panel's caption says what it changes). Do they work? Compare their components on grey and noise, and the figures below, lowest stride energy first; these are one trained model of each, so the answer under them comes from the seed sweep. "Untrained" shows which of them start flat, stretched so that their faint variation shows; "Trained" brings the shipped weights back.`;
    },
    actions: [
      ['Grey', (story) => chooseInput(story.ctx, 'grey')],
      ['Noise', (story) => chooseInput(story.ctx, 'noise')],
      [
        'Untrained',
        async (story) => {
          await story.untrainedModels();
          // Untrained outputs vary by a few grey levels: stretched, the figures' differences show.
          setStretch(story.ctx, true);
        },
      ],
      [
        'Trained',
        async (story) => {
          await story.trainedModels({ always: true });
          setStretch(story.ctx, false);
        },
      ],
    ],
    figures: (ctx, story) => {
      const decoders = ctx.state.shown
        .filter((d) => strideEnergy(ctx, d) !== undefined)
        .sort((a, b) => strideEnergy(ctx, a) - strideEnergy(ctx, b));
      const stretched = ctx.$('stretch').checked ? ' (panels and components stretched, each over its own range)' : '';
      const parts = [
        `${ctx.state.untrained ? 'Untrained' : 'Trained'}${stretched}, on ${inputCaption(ctx)}, lowest first: `,
      ];
      const reference = strideEnergy(ctx, story.reference);
      decoders.forEach((decoder, i) => {
        if (i > 0) parts.push(' · ');
        parts.push(`${decoder} `, energy(ctx, decoder));
        if (decoder !== story.reference && reference > 0) {
          const ratio = ratioText(strideEnergy(ctx, decoder), reference, 'x');
          parts.push(' (', figure(ratio, { ratio: `${decoder}/${story.reference}` }), ')');
        }
      });
      parts.push(
        reference > 0
          ? `. Ratios are to ${story.reference}.`
          : `. ${story.reference} has no stride energy measurable here, so there are no ratios to it.`,
      );
      return parts;
    },
    conclusion: (ctx, story) => ({
      stage: ctx.state.untrained ? 'untrained' : 'trained',
      reference: story.reference,
      baseline: story.patterned,
      fixes: ctx.catalog.decoders.map((d) => d.name).filter((name) => !story.pair.includes(name)),
      probes: ['grey', 'noise'],
    }),
  },
];

export class Story {
  /**
   * @param {object} ctx the page's context
   * @param {{showDecoders: (names: string[]) => Promise<void>}} page what the
   *   orchestrator does for the decoder chooser
   */
  constructor(ctx, page) {
    this.ctx = ctx;
    this.page = page;
    this.index = -1;
    this.entering = false;
    this.start = null;
    /** The seed sweep as served: `spread` stays undefined when it could not load. */
    this.sweep = { loaded: false, spread: undefined };
    ctx.seedSpread?.then((spread) => {
      this.sweep = { loaded: true, spread };
      this.update();
    });
    // The pair the question is about, as the lab names them: the reference first.
    this.pair = ctx.catalog.first_shown;
    [this.reference, this.patterned] = this.pair;
    const { $ } = ctx;
    this.root = $('story');
    this.fold = foldable(this.root, $('story-fold'));
    $('story-next').addEventListener('click', () =>
      this.index === STEPS.length - 1 ? this.close() : this.go(this.index + 1),
    );
    $('story-back').addEventListener('click', () => this.go(this.index - 1));
    $('story-close').addEventListener('click', () => this.close());
    /** The view before the story began (the address's words for it, and the Train section's start), put back on leaving. */
    this.before = null;
    $('story-next').disabled = false;
    this.#publish();
  }

  get steps() {
    return STEPS.length;
  }

  /** Enters step `index` (0-based): sets the page up, then quotes it. */
  async go(index) {
    const { ctx } = this;
    if (this.entering || index < 0 || index >= STEPS.length) return;
    const step = STEPS[index];
    if (this.index < 0)
      this.before = {
        hash: ctx.address.current(),
        startFrom: ctx.$('start-from').value,
        noiseSeed: ctx.state.noiseSeed,
      };
    this.index = index;
    this.entering = true;
    this.start = null;
    this.root.classList.add('active');
    ctx.messages.clear('story-message');
    this.#render(step);
    try {
      // A new step opens with its text, from the top.
      this.fold(false);
      this.root.scrollTop = 0;
      bringIntoView(this.root, step.view ?? 'pad');
      await step.enter(this);
      await this.settle();
      // Setting the page up may have moved the subject (more panels, longer notes).
      bringIntoView(this.root, step.view ?? 'pad');
    } catch (err) {
      ctx.messages.error('story-message', `This step could not set the page up: ${errorText(err)}`);
    } finally {
      this.entering = false;
      this.#render(step);
    }
  }

  /** Leaves the story and puts back the view the reader had before it (the models stay as the story left them). */
  async close() {
    const { ctx, before } = this;
    if (this.entering) return;
    this.index = -1;
    this.before = null;
    this.entering = Boolean(before);
    // What the story said belongs to its steps, not to the page left behind.
    ctx.messages.clear('story-message');
    this.root.classList.remove('active');
    this.#render(null);
    if (!before) return;
    try {
      ctx.$('start-from').value = before.startFrom;
      ctx.state.noiseSeed = before.noiseSeed;
      await ctx.address.restore(before.hash);
      paintMain(ctx);
      ctx.live.request();
      await this.settle();
    } catch (err) {
      ctx.messages.error('story-message', `The view before the story could not be put back: ${errorText(err)}`);
    } finally {
      this.entering = false;
      this.#render(null);
    }
  }

  /** Writes the current step's figures again from the page as it is now. */
  update() {
    if (this.index < 0) return;
    const step = STEPS[this.index];
    const figures = this.ctx.$('story-figures');
    figures.replaceChildren(...(this.entering ? ['Setting the page up…'] : step.figures(this.ctx, this)));
    this.#conclude(step);
    this.#publish();
  }

  /**
   * The step's answer from the seed sweep, under its figures. Written again
   * only when the question or the sweep changes, so that the seed-by-seed
   * detail stays open while the figures above it update.
   */
  #conclude(step) {
    const root = this.ctx.$('story-conclusion');
    const question = step?.conclusion?.(this.ctx, this);
    const key = question && JSON.stringify([this.sweep.loaded, question]);
    root.hidden = !question;
    if (root.dataset.key === key) return;
    if (!question) {
      delete root.dataset.key;
      root.replaceChildren();
      return;
    }
    root.dataset.key = key;
    if (!this.sweep.loaded) {
      root.replaceChildren('Reading the seed sweep…');
      return;
    }
    const { text, probes } = sweepConclusion(this.sweep.spread, question);
    const answer = Object.assign(document.createElement('p'), { className: 'story-answer', textContent: text });
    const lines = seedLines(probes, question.reference).map(({ text: line, ...counts }) => {
      const item = Object.assign(document.createElement('li'), { textContent: line });
      Object.assign(item.dataset, counts);
      return item;
    });
    if (lines.length === 0) {
      root.replaceChildren(answer);
      return;
    }
    const detail = document.createElement('details');
    const list = document.createElement('ul');
    list.append(...lines);
    detail.append(
      Object.assign(document.createElement('summary'), {
        textContent: `Seed by seed: each decoder's stride energy over ${question.reference}'s from the same seed`,
      }),
      list,
    );
    root.replaceChildren(answer, detail);
  }

  #render(step) {
    const { $ } = this.ctx;
    $('story-step').hidden = !step;
    $('story-intro').hidden = Boolean(step);
    $('story-back').hidden = !step || this.index === 0;
    $('story-close').hidden = !step;
    // Nothing can leave a step half set up: Close waits, as Back and Next do.
    $('story-close').disabled = this.entering;
    $('story-next').textContent = !step ? 'Start the story' : this.index === STEPS.length - 1 ? 'Done' : 'Next';
    $('story-next').disabled = this.entering;
    if (!step) {
      $('story-progress').textContent = '';
      this.#conclude(null);
      this.#publish();
      return;
    }
    $('story-progress').textContent = `step ${this.index + 1} of ${STEPS.length}`;
    $('story-title').textContent = step.title;
    $('story-look').replaceChildren(...withTerms(step.look(this)));
    $('story-back').disabled = this.entering;
    $('story-next').disabled = this.entering;
    $('story-actions').replaceChildren(
      ...(step.actions ?? []).map(([label, act]) => {
        const button = Object.assign(document.createElement('button'), { type: 'button', textContent: label });
        button.disabled = this.entering;
        button.addEventListener('click', () =>
          act(this).catch((err) => this.ctx.messages.error('story-message', errorText(err))),
        );
        return button;
      }),
    );
    this.update();
  }

  /** What the tests read. */
  #publish() {
    this.ctx.probe.story = {
      step: this.index,
      steps: STEPS.length,
      entering: this.entering,
      title: this.index >= 0 ? STEPS[this.index].title : null,
    };
  }

  // What the steps do to the page, through the page's own calls.

  seed() {
    return Math.max(0, Math.round(Number(this.ctx.$('seed').value)));
  }

  async settle() {
    await this.ctx.live.whenIdle();
  }

  /** Stops training, then resets the models to the shipped or untrained ones. */
  async #reset(from) {
    const { ctx } = this;
    await pauseTraining(ctx);
    ctx.$('start-from').value = from;
    // Its message goes in the story's box, beside the button that asked.
    if (!(await resetModels(ctx, { slot: 'story-message' })))
      throw new Error(ctx.$('story-message').querySelector('.error')?.textContent ?? 'the models could not be reset');
  }

  /** The shipped models: unless `always`, kept as they are when they already are the shipped ones. */
  async trainedModels({ always = false } = {}) {
    await pauseTraining(this.ctx);
    const { state } = this.ctx;
    if (always || state.untrained || state.origin.from !== 'shipped') await this.#reset('shipped');
  }

  untrainedModels() {
    return this.#reset('scratch');
  }

  /**
   * Shows exactly `names`, with `main` in the main view, the components or
   * the pixels there, and the reconstructions stretched or not.
   */
  async show(names, main, { component, stretch }) {
    const { ctx } = this;
    await this.page.showDecoders(names);
    ctx.state.main = main;
    setStretch(ctx, stretch);
    setComponentView(ctx, component);
    ctx.live.request();
  }

  overlap(layers) {
    return this.ctx.overlap.set(layers, 6);
  }
}
