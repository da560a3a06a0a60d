// How the checkerboard meters read on the page: the figures beside each
// panel and the probes table.

import { ratioText } from './story-conclusion.js';

/** Meters span five decades: small values in scientific notation. */
/** A meter's value as the panels print it; an exact zero as "0", not "0.0e+0". */
export const meterText = (value) => (value === 0 ? '0' : value >= 0.01 ? value.toFixed(3) : value.toExponential(1));

/**
 * One row per probe, one column per decoder: its stride energy and, beside
 * the resize-convolution reference when that is shown, how many times it;
 * under each figure, where it sits against the seed sweep (`spread`, from
 * seed-spread.json) on the bars' log scale.
 * @param {{key: string, label: string}[]} probes the lab's catalog of probes
 * @param {object | undefined} spread the sweep's spread, or undefined when it did not load
 */
export function probeRows(probes, decoders, byDecoder, spread) {
  const cell = (tag, text, className = '') =>
    Object.assign(document.createElement(tag), { textContent: text, className });
  const reference = byDecoder.upsample ? 'upsample' : null;
  const head = document.createElement('tr');
  head.append(cell('th', 'input'), ...decoders.map((d) => cell('th', d)));
  const rows = probes.map(({ key, label }) => {
    const row = document.createElement('tr');
    row.dataset.probe = key;
    row.append(cell('td', label));
    for (const decoder of decoders) {
      const energy = byDecoder[decoder][key].stride_energy;
      const ratio = reference && decoder !== reference ? energy / byDecoder[reference][key].stride_energy : null;
      const td =
        ratio === null
          ? cell('td', meterText(energy))
          : cell(
              'td',
              `${meterText(energy)} (${ratioText(energy, byDecoder[reference][key].stride_energy, 'x')})`,
              ratio >= 3 ? 'stands-out' : '',
            );
      const seeds = spread?.decoders[decoder];
      if (seeds) td.append(spreadStrip(energy, seeds, key));
      row.append(td);
    }
    return row;
  });
  return [head, ...rows];
}

/**
 * A strip on the bars' log scale: the range the sweep's seeds spanned
 * untrained (light) and trained (dark), and a dot where this model is now.
 */
function spreadStrip(value, { seeds, stages }, probe) {
  const strip = Object.assign(document.createElement('span'), { className: 'spread-strip' });
  const percent = (v) => `${(meterPosition(v) * 100).toFixed(1)}%`;
  const describe = [];
  for (const stage of ['untrained', 'trained']) {
    const range = stages[stage]?.[probe];
    if (!range) continue;
    const band = Object.assign(document.createElement('i'), { className: `spread-band ${stage}` });
    band.dataset.min = String(range.min);
    band.dataset.max = String(range.max);
    band.style.left = percent(range.min);
    band.style.width = `calc(${percent(range.max)} - ${percent(range.min)} + 2px)`;
    strip.append(band);
    const over = range.n === 1 ? '1 seed' : `${range.n} seeds`;
    describe.push(`${stage} over ${over}: ${meterText(range.min)} to ${meterText(range.max)}`);
  }
  const dot = Object.assign(document.createElement('i'), { className: 'spread-now' });
  dot.dataset.value = String(value);
  dot.style.left = percent(value);
  strip.append(dot);
  strip.title = `now ${meterText(value)}; ${describe.join('; ')} (seeds ${seeds.join(', ')}, log scale 1e-6 to 1)`;
  return strip;
}

/** The sentence under the probes table that says how to read its strips. */
export function spreadLegend(spread) {
  if (!spread) return 'The seed sweep could not be loaded, so the table has no strips.';
  const counts = Object.values(spread.decoders).map((d) => d.seeds.length);
  const seeds =
    Math.min(...counts) === Math.max(...counts)
      ? `${counts[0]} seeds`
      : `${Math.min(...counts)} to ${Math.max(...counts)} seeds`;
  return (
    `Under each figure, on a log scale from 1e-6 to 1: the range the same decoder spanned over ${seeds} of ` +
    `the shipped recipe, untrained (grey band) and trained (white band), and an orange mark for these models now. ` +
    "Figures in orange: 3 times upsample's or more."
  );
}

/** The stride-energy bars' log scale: 10^-6 (flat) to 1 (a pure checkerboard). */
export const METER_SCALE = { low: 1e-6, high: 1 };

/** Where `value` sits on the bars' log scale, 0 to 1. */
export function meterPosition(value, { low, high } = METER_SCALE) {
  if (!(value > 0)) return 0;
  return Math.min(1, Math.max(0, Math.log10(value / low) / Math.log10(high / low)));
}

/**
 * Sets a bar (from panels.js) to `value`, with the reference marks where
 * the lab measured them (absent until it has).
 * @param {HTMLElement} bar
 * @param {{digits: {stride_energy: number}, noise: {stride_energy: number}} | undefined} references
 */
export function setMeterBar(bar, value, references) {
  const percent = (v) => `${(meterPosition(v) * 100).toFixed(1)}%`;
  bar.querySelector('.meter-fill').style.width = percent(value);
  bar.setAttribute('aria-valuenow', String(value));
  bar.setAttribute('aria-valuetext', `stride energy ${meterText(value)}`);
  for (const kind of ['digits', 'noise']) {
    const mark = bar.querySelector(`.meter-mark.${kind}`);
    mark.hidden = !references;
    if (references) mark.style.left = percent(references[kind].stride_energy);
  }
  bar.title = references
    ? `stride energy ${meterText(value)} on a log scale from 1e-6 to 1; ticks: the test digits' own level (${meterText(references.digits.stride_energy)}) and white noise's (${meterText(references.noise.stride_energy)})`
    : `stride energy ${meterText(value)} on a log scale from 1e-6 to 1`;
}

/** The sentence under the panels that says how to read the bars. */
export function meterScaleText(references) {
  if (!references) return 'Bars: stride energy on a log scale from 1e-6 to 1.';
  return (
    `Bars: stride energy on a log scale from 1e-6 to 1. White tick: the test digits' own level ` +
    `(${meterText(references.digits.stride_energy)}); orange tick: white noise (${meterText(references.noise.stride_energy)}).`
  );
}
