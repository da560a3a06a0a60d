// The latent walk's rows: one per decoder, one small image per step.

import { paintImage, SIDE } from './render.js';

/**
 * @param {{decoder: string, steps: number, images: Float32Array}[]} results
 * @param {(decoder: string) => string} colourOf
 * @returns {HTMLElement[]}
 */
export function walkRows(results, colourOf) {
  return results.map(({ decoder, steps, images }) => {
    const row = document.createElement('div');
    row.className = 'walk-row';
    row.dataset.decoder = decoder;
    row.style.setProperty('--decoder-colour', colourOf(decoder));
    const name = document.createElement('b');
    name.textContent = decoder;
    row.append(name);
    for (let i = 0; i < steps; i++) {
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 84;
      paintImage(canvas, images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE));
      row.append(canvas);
    }
    return row;
  });
}
