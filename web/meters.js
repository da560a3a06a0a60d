// How the checkerboard meters read on the page: the figures beside each
// panel and the probes table.

/** Meters span five decades: small values in scientific notation. */
export const meterText = (value) => (value >= 0.01 ? value.toFixed(3) : value.toExponential(1));

/**
 * One row per probe, one column per decoder: its stride energy and, beside
 * the resize-convolution reference when that is shown, how many times it.
 * @param {{key: string, label: string}[]} probes the lab's catalog of probes
 */
export function probeRows(probes, decoders, byDecoder) {
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
      if (!reference || decoder === reference) {
        row.append(cell('td', meterText(energy)));
        continue;
      }
      const ratio = energy / byDecoder[reference][key].stride_energy;
      row.append(cell('td', `${meterText(energy)} (${ratio.toFixed(1)}x)`, ratio >= 3 ? 'stands-out' : ''));
    }
    return row;
  });
  return [head, ...rows];
}
