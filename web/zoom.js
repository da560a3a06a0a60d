// The magnifier: over any registered panel it floats beside the pointer and
// shows the same neighbourhood of every panel, pixel by pixel, with values.
// A finger has no hover: touching a panel, held or tapped, pins the
// magnifier there until a touch elsewhere or a scroll.

import { SIDE, divergingColour, greyLevels, strideComponent } from './render.js';

const CELL = 26;
/** How long a finger rests on a panel before the magnifier opens under it. */
const HOLD_MS = 300;

export class Zoom {
  /**
   * @param {HTMLElement} box the floating element the zoom draws into
   * @param {number} radius pixels shown on each side of the pointed one
   */
  constructor(box, radius = 3) {
    this.box = box;
    this.radius = radius;
    this.panels = [];
    this.mode = 'pixels';
    this.last = null;
    /** The panels' canvases, to tell a touch on one from a touch elsewhere. */
    this.canvases = new Set();
    /** A finger resting on a panel: where, and the timer that opens the magnifier there. */
    this.touch = null;
    this.pinned = false;
    document.addEventListener('pointerdown', (event) => {
      if (this.pinned && !this.canvases.has(event.target)) this.hide();
    });
    window.addEventListener('scroll', () => this.pinned && this.hide(), { passive: true });
  }

  /**
   * Makes `canvas` zoomable; `image()` returns its current 784 values or null.
   * A panel registered with `shown: false` opens the zoom but is not drawn in
   * it (the main view repeats a panel that is already there).
   */
  register(canvas, title, image, { shown = true } = {}) {
    if (shown) this.panels.push({ title, image });
    this.canvases.add(canvas);
    canvas.addEventListener('pointermove', (event) => this.#follow(canvas, event));
    // A finger leaves the panel as it lifts, and the pinned magnifier stays.
    canvas.addEventListener('pointerleave', (event) => event.pointerType !== 'touch' && this.hide());
    canvas.addEventListener('pointerdown', (event) => event.pointerType === 'touch' && this.#rest(canvas, event));
    canvas.addEventListener('pointerup', () => this.#lift(canvas));
    // The page scrolling under the finger: not a touch meant for the panel.
    canvas.addEventListener('pointercancel', () => this.#cancelTouch());
    // A long press would open the browser's menu for the image.
    canvas.addEventListener('contextmenu', (event) => this.touch && event.preventDefault());
  }

  /** `'pixels'` for intensities, `'component'` for the stride-2 component in grey levels. */
  setMode(mode) {
    this.mode = mode;
    if (this.last) this.show(this.last.row, this.last.col, this.last.x, this.last.y);
  }

  hide() {
    this.box.hidden = true;
    this.last = null;
    this.pinned = false;
  }

  /** A finger down on a panel: the magnifier opens if it rests there, or when it lifts (a tap). */
  #rest(canvas, event) {
    this.#cancelTouch();
    const open = () => {
      this.touch.timer = null;
      this.#pin(canvas, this.touch.x, this.touch.y);
    };
    this.touch = { x: event.clientX, y: event.clientY, timer: setTimeout(open, HOLD_MS) };
  }

  /** The finger lifts: a tap opens the magnifier where it touched; after a rest it is open already. */
  #lift(canvas) {
    if (!this.touch) return;
    const { timer, x, y } = this.touch;
    if (timer !== null) this.#pin(canvas, x, y);
    this.#cancelTouch();
  }

  #cancelTouch() {
    if (this.touch?.timer) clearTimeout(this.touch.timer);
    this.touch = null;
  }

  #pin(canvas, x, y) {
    const point = this.#pixel(canvas, x, y);
    if (!point) return;
    this.show(point.row, point.col, x, y);
    this.pinned = true;
  }

  /** The image pixel under window point (x, y) of `canvas`, or null off it. */
  #pixel(canvas, x, y) {
    const rect = canvas.getBoundingClientRect();
    const col = Math.floor(((x - rect.left) / rect.width) * SIDE);
    const row = Math.floor(((y - rect.top) / rect.height) * SIDE);
    return row < 0 || row >= SIDE || col < 0 || col >= SIDE ? null : { row, col };
  }

  #follow(canvas, event) {
    if (event.pointerType === 'touch') return; // a finger opens the magnifier by resting or tapping
    const point = this.#pixel(canvas, event.clientX, event.clientY);
    if (!point) return this.hide();
    this.show(point.row, point.col, event.clientX, event.clientY);
  }

  /** Shows the neighbourhood of (row, col) next to page point (x, y). */
  show(row, col, x, y) {
    this.last = { row, col, x, y };
    const side = 2 * this.radius + 1;
    this.box.replaceChildren();
    const heading = document.createElement('div');
    heading.className = 'zoom-heading';
    heading.textContent =
      `row ${row}, column ${col} (phase ${row % 2},${col % 2})` +
      (this.mode === 'component' ? ': stride-2 component, grey levels of 255, one scale for all' : '');
    this.box.append(heading);
    const row_ = document.createElement('div');
    row_.className = 'zoom-panels';
    const shown = this.panels.map((panel) => ({ ...panel, values: panel.image() })).filter((panel) => panel.values);
    let range = 1;
    if (this.mode === 'component') {
      for (const panel of shown) panel.values = strideComponent(panel.values).values.map(greyLevels);
      range = shown.reduce((m, panel) => panel.values.reduce((n, v) => Math.max(n, Math.abs(v)), m), 1e-6);
    }
    for (const panel of shown) {
      const values = panel.values;
      const figure = document.createElement('figure');
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = side * CELL;
      this.#paint(canvas.getContext('2d'), values, row, col, range);
      const caption = document.createElement('figcaption');
      caption.textContent = panel.title;
      figure.append(canvas, caption);
      row_.append(figure);
    }
    this.box.append(row_);
    this.box.hidden = false;
    const margin = 18;
    const width = this.box.offsetWidth,
      height = this.box.offsetHeight;
    const left = x + margin + width > window.innerWidth ? x - margin - width : x + margin;
    const top = Math.min(Math.max(4, y - height / 2), window.innerHeight - height - 4);
    this.box.style.left = `${Math.max(4, left)}px`;
    this.box.style.top = `${Math.max(4, top)}px`;
  }

  #paint(ctx, values, row, col, range) {
    ctx.font = '9px ui-monospace, monospace';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let dy = -this.radius; dy <= this.radius; dy++) {
      for (let dx = -this.radius; dx <= this.radius; dx++) {
        const r = row + dy,
          c = col + dx;
        const x = (dx + this.radius) * CELL,
          y = (dy + this.radius) * CELL;
        if (r < 0 || r >= SIDE || c < 0 || c >= SIDE) {
          ctx.fillStyle = '#333';
          ctx.fillRect(x, y, CELL, CELL);
          continue;
        }
        const v = values[r * SIDE + c];
        let text;
        if (this.mode === 'component') {
          const [red, green, blue] = divergingColour(v, range);
          ctx.fillStyle = `rgb(${red},${green},${blue})`;
          text = '#000';
        } else {
          const g = Math.round(Math.min(1, Math.max(0, v)) * 255);
          ctx.fillStyle = `rgb(${g},${g},${g})`;
          text = g > 128 ? '#000' : '#fff';
        }
        ctx.fillRect(x, y, CELL, CELL);
        ctx.fillStyle = text;
        const label = this.mode === 'component' ? v.toPrecision(2) : v.toFixed(2).replace(/^(-?)0\./, '$1.');
        ctx.fillText(label, x + CELL / 2, y + CELL / 2);
      }
    }
    ctx.strokeStyle = '#f5a623';
    ctx.lineWidth = 2;
    ctx.strokeRect(this.radius * CELL + 1, this.radius * CELL + 1, CELL - 2, CELL - 2);
  }
}
