// Unit tests of the story's last answer (no browser): the conclusion it
// draws from the committed seed sweep, counted again here from the same
// file, and ratios that read as words where a zero leaves no number.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ratioText, seedLines, sweepConclusion, timesText } from '../web/story-conclusion.js';
import { heldCount, readSeedSpread, statedCount } from './seed-sweep.mjs';

const spread = readSeedSpread();
const REFERENCE = 'upsample';
const BASELINE = 'transposed';
const PROBES = ['grey', 'noise'];
const FIXES = Object.keys(spread.decoders).filter((d) => d !== REFERENCE && d !== BASELINE);
const question = (stage) => ({ reference: REFERENCE, baseline: BASELINE, fixes: FIXES, stage, probes: PROBES });

/** A number written as "0e+0" or "6e-2x", what a zero or a small ratio must not read as in words. */
const EXPONENT_ZERO = /\b0e[+-]?0/;

test('the committed sweep has fixes to conclude about', () => {
  assert.ok(FIXES.length > 0, `fixes in the sweep: ${FIXES}`);
  for (const fix of FIXES) assert.ok(spread.decoders[fix].stages.trained.grey.by_seed, `${fix} has per-seed values`);
});

for (const stage of ['trained', 'untrained']) {
  test(`${stage}: the conclusion states, for each fix on grey and noise, the count the sweep supports`, () => {
    const { text, probes } = sweepConclusion(spread, question(stage));
    assert.match(text, new RegExp(`^Over the seed sweep \\(${stage} models, each against upsample`));
    for (const probe of PROBES) {
      for (const fix of FIXES) {
        const expected = heldCount(spread, fix, REFERENCE, stage, probe);
        const stated = statedCount(text, probe, fix);
        assert.ok(stated, `${fix} on ${probe} is named: ${text}`);
        assert.equal(stated.held, expected.held, `${fix} on ${probe}: ${text}`);
        if (stated.seeds !== null) assert.equal(stated.seeds, expected.seeds, `${fix} on ${probe}: ${text}`);
      }
    }
    for (const line of seedLines(probes, REFERENCE)) {
      const expected = heldCount(spread, line.decoder, REFERENCE, stage, line.probe);
      assert.deepEqual({ held: line.held, seeds: line.seeds }, expected, line.text);
    }

    const baseline = PROBES.map((probe) => heldCount(spread, BASELINE, REFERENCE, stage, probe));
    const word = ({ held, seeds }) =>
      held === seeds ? `all ${seeds}` : held === 0 ? `none of ${seeds}` : `${held} of ${seeds}`;
    assert.ok(
      text.includes(
        `For comparison, transposed itself stayed at or below it for ${word(baseline[0])} seeds on grey and ${word(baseline[1])} on noise.`,
      ),
      text,
    );

    const everywhere = FIXES.filter((fix) =>
      PROBES.every((probe) => {
        const { held, seeds } = heldCount(spread, fix, REFERENCE, stage, probe);
        return held === seeds;
      }),
    );
    if (everywhere.length === 0) assert.ok(text.includes('On both grey and noise, no fix was at or below upsample'));
    else
      for (const fix of everywhere)
        assert.match(text, new RegExp(`On both grey and noise, [^.]*\\b${fix} (and|was|were)`));
  });

  test(`${stage}: where the fixes fail, the conclusion names the furthest above upsample`, () => {
    const { text } = sweepConclusion(spread, question(stage));
    for (const probe of PROBES) {
      let furthest = null;
      for (const fix of FIXES) {
        const values = spread.decoders[fix].stages[stage][probe].by_seed;
        const references = spread.decoders[REFERENCE].stages[stage][probe].by_seed;
        for (const seed of Object.keys(values).filter((s) => s in references)) {
          const ratio = values[seed] / references[seed];
          if (values[seed] > references[seed] && !(furthest?.ratio >= ratio)) furthest = { fix, seed, ratio };
        }
      }
      if (furthest)
        assert.ok(
          text.includes(
            `${furthest.fix} on ${probe} (seed ${furthest.seed}, ${timesText(furthest.ratio)} times upsample's)`,
          ),
          `${probe}: ${furthest.fix}, seed ${furthest.seed}: ${text}`,
        );
      else assert.ok(!text.includes(`on ${probe} (seed`), text);
    }
  });

  test(`${stage}: seed by seed, a zero stride energy reads as words, never as a number`, () => {
    const { text, probes } = sweepConclusion(spread, question(stage));
    assert.doesNotMatch(text, EXPONENT_ZERO);
    for (const line of seedLines(probes, REFERENCE)) {
      assert.doesNotMatch(line.text, EXPONENT_ZERO);
      const values = spread.decoders[line.decoder].stages[stage][line.probe].by_seed;
      for (const [seed, value] of Object.entries(values)) {
        if (value === 0) assert.ok(line.text.includes(`seed ${seed} none measurable`), line.text);
      }
    }
  });
}

test('ratios with a zero, or without a measured value, read as words', () => {
  assert.equal(ratioText(0, 2e-4, 'x'), 'none measurable');
  assert.equal(ratioText(0, 2e-4, ' times'), 'none measurable');
  assert.equal(ratioText(3e-3, 0, 'x'), 'none measurable in the reference');
  assert.equal(ratioText(0, 0, 'x'), 'none measurable in either');
  for (const [a, b] of [
    [Number.NaN, 1],
    [1, Number.NaN],
    [Number.POSITIVE_INFINITY, 1],
    [1, Number.POSITIVE_INFINITY],
    [undefined, 1],
    [-1, 1],
  ])
    assert.equal(ratioText(a, b, 'x'), 'not measurable', `${a}/${b}`);
});

test('measurable ratios read as figures, as the sweep findings write them', () => {
  assert.equal(ratioText(251, 1, 'x'), '251x');
  assert.equal(ratioText(5.94, 1, ' times'), '5.9 times');
  assert.equal(ratioText(0.333, 1, 'x'), '0.3x');
  assert.equal(ratioText(0.073, 1, 'x'), '0.07x');
  assert.equal(ratioText(6e-27, 1, 'x'), '6e-27x');
  assert.equal(ratioText(1, 1), '1.0');
});

test('without the sweep, the conclusion says so', () => {
  const { text, probes } = sweepConclusion(undefined, question('trained'));
  assert.match(text, /could not be loaded/);
  assert.deepEqual(probes, []);
});

test('a fix that holds for every seed on both probes is named as such', () => {
  const seeds = { 0: 1e-4, 1: 2e-4 };
  const level = (by_seed) => ({ grey: { by_seed }, noise: { by_seed } });
  const synthetic = {
    decoders: {
      upsample: { stages: { trained: level(seeds) } },
      flat: { stages: { trained: level({ 0: 0, 1: 1e-4 }) } },
      loud: { stages: { trained: level({ 0: 1e-2, 1: 4e-4 }) } },
    },
  };
  const { text } = sweepConclusion(synthetic, {
    reference: 'upsample',
    fixes: ['flat', 'loud'],
    stage: 'trained',
    probes: PROBES,
  });
  assert.ok(
    text.includes("on grey, flat stayed at or below upsample's stride energy for all 2 seeds; loud never did."),
    text,
  );
  assert.ok(text.includes('On both grey and noise, flat was at or below upsample for every seed.'), text);
  assert.ok(text.includes("loud on grey (seed 0, 100 times upsample's)"), text);
  assert.ok(!text.includes('For comparison'), text);
});
