// The committed seed sweep as the tests read it, and what it supports
// counted here on its own, so that a test can hold the story's words
// against the file rather than against the code that wrote them.

import { readFileSync } from 'node:fs';

/** web/seed-spread.json as committed; a missing or unreadable file throws, so a test fails rather than skips. */
export function readSeedSpread() {
  return JSON.parse(readFileSync(new URL('../web/seed-spread.json', import.meta.url), 'utf8'));
}

/**
 * For how many seeds `decoder`'s stride energy is at or below
 * `reference`'s from the same seed, on `probe` at `stage`, of how many
 * seeds both have.
 * @returns {{held: number, seeds: number}}
 */
export function heldCount(spread, decoder, reference, stage, probe) {
  const values = spread.decoders[decoder].stages[stage][probe].by_seed;
  const references = spread.decoders[reference].stages[stage][probe].by_seed;
  const paired = Object.keys(values).filter((seed) => seed in references);
  return { held: paired.filter((seed) => values[seed] <= references[seed]).length, seeds: paired.length };
}

/**
 * The count the conclusion states for `decoder` on `probe`: its probe's
 * clause ("on grey, a stayed at or below upsample's stride energy for 2 of
 * 3 seeds; b and c for 1 of 3; d never did") split into groups, and the
 * group that names `decoder` read as "held/seeds"; "never" reads as 0 and
 * "all n" as n/n. Null when the clause does not name it.
 */
export function statedCount(text, probe, decoder) {
  const clause = new RegExp(`[Oo]n ${probe}, ([^.]*)\\.`).exec(text)?.[1];
  if (!clause) return null;
  for (const group of clause.split('; ')) {
    const names = group.split(/ stayed | for | never /)[0].split(/, | and /);
    if (!names.includes(decoder)) continue;
    if (/ never /.test(group)) return { held: 0, seeds: null };
    const all = / for all (\d+)/.exec(group);
    if (all) return { held: Number(all[1]), seeds: Number(all[1]) };
    const some = / for (\d+) of (\d+)/.exec(group);
    return some && { held: Number(some[1]), seeds: Number(some[2]) };
  }
  return null;
}
