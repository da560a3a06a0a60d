// What the seed sweep says of the fixes, in words: the story's last step
// answers "do they work?" from web/seed-spread.json as it is served, so the
// answer follows the sweep whenever `python3 scripts/sweep.py summary`
// rewrites that file. Pure functions, so that Node can test them.

/**
 * @typedef {{min: number, mean: number, max: number, n: number, by_seed: Record<string, number>}} ProbeSpread
 * @typedef {{seeds: number[], stages: Record<string, Record<string, ProbeSpread>>}} DecoderSpread
 * @typedef {{recipe: string, meter: string, decoders: Record<string, DecoderSpread>}} SeedSpread
 * @typedef {{seed: string, value: number, reference: number}} PairedSeed
 * @typedef {{decoder: string, seeds: PairedSeed[], held: number}} Outcome
 *   `held`: for how many of `seeds` the decoder's stride energy is at or below the reference's
 * @typedef {{probe: string, fixes: Outcome[], baseline: Outcome | null}} ProbeOutcomes
 */

/** A positive, finite ratio in the notation of the sweep's findings (scripts/sweep.py's ratio_text). */
export const timesText = (ratio) =>
  ratio >= 10
    ? ratio.toFixed(0)
    : ratio >= 0.1
      ? ratio.toFixed(1)
      : ratio >= 0.01
        ? ratio.toFixed(2)
        : ratio.toExponential(0);

/**
 * `numerator / denominator` followed by `unit` (" times", "x"), or words
 * where a zero or an unmeasured value leaves no ratio worth a number: a
 * decoder with no stride energy at all is "none measurable", not "0e+0x".
 * @param {number} numerator
 * @param {number} denominator
 * @param {string} [unit]
 */
export function ratioText(numerator, denominator, unit = '') {
  const measured = (v) => Number.isFinite(v) && v >= 0;
  if (!measured(numerator) || !measured(denominator)) return 'not measurable';
  if (numerator === 0 && denominator === 0) return 'none measurable in either';
  if (numerator === 0) return 'none measurable';
  if (denominator === 0) return 'none measurable in the reference';
  return `${timesText(numerator / denominator)}${unit}`;
}

/**
 * `decoder` against `reference` on `probe` at `stage`, over the seeds both
 * were trained from (the same seed starts their encoders alike and orders
 * their batches alike); null when the sweep lacks either.
 * @param {SeedSpread} spread
 * @returns {Outcome | null}
 */
export function pairedOutcome(spread, decoder, reference, stage, probe) {
  const values = spread.decoders[decoder]?.stages[stage]?.[probe]?.by_seed;
  const references = spread.decoders[reference]?.stages[stage]?.[probe]?.by_seed;
  if (!values || !references) return null;
  const seeds = Object.keys(values)
    .filter((seed) => seed in references)
    .sort((a, b) => Number(a) - Number(b))
    .map((seed) => ({ seed, value: values[seed], reference: references[seed] }));
  if (seeds.length === 0) return null;
  return { decoder, seeds, held: seeds.filter((s) => s.value <= s.reference).length };
}

/** "a", "a and b", "a, b and c". */
export const listText = (items) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

/** "2 of 3", "all 3", "none of 3": for how many of its paired seeds an outcome held. */
const countText = ({ held, seeds }) =>
  held === seeds.length ? `all ${held}` : held === 0 ? `none of ${seeds.length}` : `${held} of ${seeds.length}`;

/**
 * One probe's clause: the fixes grouped by how often they held, most first,
 * e.g. "on grey, a stayed at or below upsample's stride energy for 2 of 3
 * seeds; b and c for 1 of 3; d never did".
 * @param {ProbeOutcomes} outcomes
 */
function probeClause({ probe, fixes }, reference) {
  const groups = new Map();
  const ranked = [...fixes].sort((a, b) => b.held / b.seeds.length - a.held / a.seeds.length);
  for (const outcome of ranked) {
    const key = outcome.held === 0 ? 'never' : countText(outcome);
    groups.set(key, [...(groups.get(key) ?? []), outcome.decoder]);
  }
  const never = groups.get('never');
  groups.delete('never');
  const stayed = `stayed at or below ${reference}'s stride energy`;
  const parts = [...groups].map(([count, decoders], i) =>
    i === 0 ? `${listText(decoders)} ${stayed} for ${count} seeds` : `${listText(decoders)} for ${count}`,
  );
  if (never) parts.push(`${listText(never)} ${parts.length ? 'never did' : `never ${stayed}`}`);
  return `on ${probe}, ${parts.join('; ')}`;
}

const capitalised = (text) => `${text[0].toUpperCase()}${text.slice(1)}`;

/**
 * The seed sweep's answer to "do the fixes work?": for each probe, which
 * fixes keep their stride energy at or below `reference`'s, for how many of
 * their seeds, and how far they go where they do not.
 * @param {SeedSpread | undefined} spread the page's seed-spread.json, undefined when it did not load
 * @param {{reference: string, baseline?: string, fixes: string[], stage: string, probes: string[]}} question
 *   `baseline`: the decoder the fixes set out to fix, quoted for comparison
 * @returns {{text: string, probes: ProbeOutcomes[]}}
 */
export function sweepConclusion(spread, { reference, baseline, fixes, stage, probes }) {
  if (!spread)
    return { text: 'The seed sweep could not be loaded, so there is no answer over seeds here.', probes: [] };
  const outcomes = probes
    .map((probe) => ({
      probe,
      fixes: fixes.map((fix) => pairedOutcome(spread, fix, reference, stage, probe)).filter(Boolean),
      baseline: baseline ? pairedOutcome(spread, baseline, reference, stage, probe) : null,
    }))
    .filter((o) => o.fixes.length > 0);
  if (outcomes.length === 0)
    return { text: `The seed sweep has no ${stage} fixes to set against ${reference}.`, probes: [] };

  const clauses = outcomes.map((o) => probeClause(o, reference));
  const sentences = [
    `Over the seed sweep (${stage} models, each against ${reference} from the same seed): ${clauses[0]}.`,
    ...clauses.slice(1).map((clause) => `${capitalised(clause)}.`),
  ];

  const baselines = outcomes.filter((o) => o.baseline);
  if (baselines.length)
    sentences.push(
      `For comparison, ${baseline} itself stayed at or below it for ${listText(
        baselines.map((o, i) => `${countText(o.baseline)}${i === 0 ? ' seeds' : ''} on ${o.probe}`),
      )}.`,
    );

  const on = `On ${outcomes.length === 2 ? 'both ' : ''}${listText(outcomes.map((o) => o.probe))}`;
  const everywhere = fixes.filter((fix) =>
    outcomes.every((o) => o.fixes.some((f) => f.decoder === fix && f.held === f.seeds.length)),
  );
  sentences.push(
    everywhere.length
      ? `${on}, ${listText(everywhere)} ${everywhere.length > 1 ? 'were' : 'was'} at or below ${reference} for every seed.`
      : `${on}, no fix was at or below ${reference} for every seed.`,
  );

  const furthest = outcomes.flatMap(({ probe, fixes: outcome }) => {
    const failures = outcome.flatMap(({ decoder, seeds }) =>
      seeds.filter((s) => s.value > s.reference).map((s) => ({ decoder, ...s })),
    );
    if (failures.length === 0) return [];
    const top = failures.reduce((a, b) => (b.value / b.reference > a.value / a.reference ? b : a));
    const how =
      top.reference > 0
        ? `${ratioText(top.value, top.reference, ' times')} ${reference}'s`
        : `where ${reference} had none measurable`;
    return [`${top.decoder} on ${probe} (seed ${top.seed}, ${how})`];
  });
  if (furthest.length) sentences.push(`Where they failed, the furthest above ${reference} was ${listText(furthest)}.`);
  return { text: sentences.join(' '), probes: outcomes };
}

/**
 * One line per decoder and probe for the seed-by-seed detail: "grey,
 * transposed-k4: seed 0 63x, seed 1 3.4x, seed 2 1.7x; at or below
 * upsample for 0 of 3".
 * @param {ProbeOutcomes[]} probes from sweepConclusion
 */
export function seedLines(probes, reference) {
  return probes.flatMap(({ probe, fixes, baseline }) =>
    [...fixes, ...(baseline ? [baseline] : [])].map((outcome) => ({
      probe,
      decoder: outcome.decoder,
      held: outcome.held,
      seeds: outcome.seeds.length,
      text: `${probe}, ${outcome.decoder}: ${outcome.seeds
        .map((s) => `seed ${s.seed} ${ratioText(s.value, s.reference, 'x')}`)
        .join(', ')}; at or below ${reference} for ${outcome.held} of ${outcome.seeds.length}`,
    })),
  );
}
