// The overlap explorer: how many kernel taps reach each output pixel of a
// stack of transposed convolutions, as Burn's own layer computes it.

const LAYERS = 3;

/** Colour for a tap count: dark for few, bright for many. */
function heat(t) {
  const r = Math.round(40 + 215 * Math.min(1, t * 1.4));
  const g = Math.round(20 + (200 * Math.max(0, t - 0.35)) / 0.65);
  const b = Math.round(60 + 60 * (1 - t));
  return `rgb(${r},${g},${b})`;
}

/**
 * The tap counts away from the borders, where only the stride pattern
 * remains (a pixel within a kernel's reach of an edge misses taps for that
 * reason); null when every pixel is that close to an edge.
 * @param {{layers: {kernel: number}[], side: number, map: number[]}} overlap
 */
export function interiorCounts({ layers, side, map }) {
  const reach = layers.reduce((m, l) => m + l.kernel, 0);
  if (side - 2 * reach < 2) return null;
  const interior = [];
  for (let r = reach; r < side - reach; r++) {
    for (let c = reach; c < side - reach; c++) interior.push(map[r * side + c]);
  }
  return interior;
}

export class OverlapExplorer {
  /**
   * @param {HTMLElement} root the section holding the controls and canvases
   * @param {(layers: {kernel: number, stride: number}[], inputSide: number) => Promise<{side: number, map: Float32Array}>} compute
   * @param {(message: string) => void} onError
   * @param {() => void} onUpdate called after each new map is drawn
   */
  constructor(root, compute, onError, onUpdate = () => {}) {
    this.root = root;
    this.compute = compute;
    this.onError = onError;
    this.onUpdate = onUpdate;
    this.last = null;
    for (const control of root.querySelectorAll('select, input')) {
      control.addEventListener('change', () => this.update());
    }
  }

  /** The layers switched on, in order. */
  layers() {
    const layers = [];
    for (let i = 1; i <= LAYERS; i++) {
      const enabled = this.root.querySelector(`#overlap-on-${i}`);
      if (enabled && !enabled.checked) break;
      layers.push({
        kernel: Number(this.root.querySelector(`#overlap-kernel-${i}`).value),
        stride: Number(this.root.querySelector(`#overlap-stride-${i}`).value),
      });
    }
    return layers;
  }

  /**
   * Sets the controls to `layers` (one to three) and the input size, then
   * recomputes, as if the user had chosen them.
   */
  set(layers, inputSide) {
    for (let i = 1; i <= LAYERS; i++) {
      const layer = layers[i - 1];
      const enabled = this.root.querySelector(`#overlap-on-${i}`);
      if (enabled) enabled.checked = Boolean(layer);
      if (!layer) continue;
      this.root.querySelector(`#overlap-kernel-${i}`).value = String(layer.kernel);
      this.root.querySelector(`#overlap-stride-${i}`).value = String(layer.stride);
    }
    this.root.querySelector('#overlap-input').value = String(inputSide);
    return this.update();
  }

  async update() {
    const layers = this.layers();
    const inputSide = Number(this.root.querySelector('#overlap-input').value);
    try {
      const { side, map } = await this.compute(layers, inputSide);
      this.last = { layers, inputSide, side, map: Array.from(map) };
      this.#draw(side, map);
      this.onUpdate();
    } catch (err) {
      this.onError(`Overlap map failed: ${err.message ?? err}`);
    }
  }

  #draw(side, map) {
    const max = Math.max(...map),
      min = Math.min(...map);
    const canvas = this.root.querySelector('#overlap-map');
    const ctx = canvas.getContext('2d');
    const cell = canvas.width / side;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const v = map[r * side + c];
        ctx.fillStyle = heat(max > 0 ? v / max : 0);
        ctx.fillRect(c * cell, r * cell, Math.ceil(cell), Math.ceil(cell));
        if (cell >= 14) {
          ctx.fillStyle = '#000';
          ctx.font = `${Math.floor(cell * 0.5)}px ui-monospace, monospace`;
          ctx.textAlign = 'center';
          ctx.textBaseline = 'middle';
          ctx.fillText(String(v), c * cell + cell / 2, r * cell + cell / 2);
        }
      }
    }

    // 1D: the middle row, as bars.
    const row = Array.from(map.slice(Math.floor(side / 2) * side, Math.floor(side / 2) * side + side));
    const bars = this.root.querySelector('#overlap-row');
    const bctx = bars.getContext('2d');
    bctx.clearRect(0, 0, bars.width, bars.height);
    const width = bars.width / side;
    row.forEach((v, c) => {
      const h = max > 0 ? (v / max) * (bars.height - 20) : 0;
      bctx.fillStyle = heat(max > 0 ? v / max : 0);
      bctx.fillRect(c * width + 1, bars.height - h, Math.max(1, width - 2), h);
    });
    bctx.fillStyle = '#aaa';
    bctx.font = '11px system-ui';
    const label = `middle row: ${row.join(' ')}`;
    // The canvas holds about this many characters at this size.
    bctx.fillText(label.length > 64 ? `${label.slice(0, 63)}…` : label, 4, 11);

    const summary = this.root.querySelector('#overlap-summary');
    const range = `${side}x${side} output; taps per pixel from ${min} to ${max}`;
    const interior = interiorCounts(this.last);
    if (!interior) {
      summary.textContent =
        `${range}. Every pixel here is within a kernel's reach of an edge, so these differences are border ` +
        'effects, not the stride pattern: make the input larger to see the pattern on its own.';
      return;
    }
    const lo = Math.min(...interior),
      hi = Math.max(...interior);
    summary.textContent =
      `${range}; away from the borders ${lo} to ${hi}: ` +
      (lo === hi
        ? 'even overlap, every pixel gets the same number of taps.'
        : lo === 0
          ? "uneven overlap, some pixels get no taps at all (a kernel smaller than its stride leaves gaps), the checkerboard's cause."
          : `uneven overlap (${(hi / lo).toFixed(1)}x), the checkerboard's cause.`);
  }
}
