// The drawing pad: mouse, touch and pen through Pointer Events, with undo
// and clear. Strokes are kept as point lists, so undo redraws exactly.

const STROKE_FRACTION = 0.075; // of the pad's side: MNIST-like stroke weight
/**
 * Chromium dispatches pointermove with the next frame; pointerrawupdate (in
 * secure contexts) as the input arrives, so the reconstruction is asked for
 * up to a frame sooner and can show a frame sooner.
 */
const MOVE_EVENT = 'onpointerrawupdate' in globalThis ? 'pointerrawupdate' : 'pointermove';

export class DrawPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(inputAt?: number) => void} onChange called after every change
   *   of the ink, with the time of the input that made it where there is one
   */
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d', { willReadFrequently: true });
    this.onChange = onChange;
    this.strokes = [];
    this.active = null;
    canvas.style.touchAction = 'none'; // the pad, not the page, gets the gesture
    canvas.addEventListener('pointerdown', (event) => this.#start(event));
    canvas.addEventListener(MOVE_EVENT, (event) => this.#extend(event));
    for (const type of ['pointerup', 'pointercancel']) {
      canvas.addEventListener(type, (event) => this.#finish(event));
    }
    this.redraw();
  }

  #point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  #start(event) {
    if (event.button !== 0 && event.pointerType === 'mouse') return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.active = { id: event.pointerId, points: [this.#point(event)] };
    this.strokes.push(this.active.points);
    this.redraw();
    this.onChange(event.timeStamp);
  }

  #extend(event) {
    if (!this.active || event.pointerId !== this.active.id) return;
    // Coalesced events keep fast pen strokes smooth.
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) this.active.points.push(this.#point(e));
    this.redraw();
    this.onChange(event.timeStamp);
  }

  #finish(event) {
    if (!this.active || event.pointerId !== this.active.id) return;
    this.active = null;
    this.onChange();
  }

  get isEmpty() {
    return this.strokes.length === 0;
  }

  undo() {
    this.strokes.pop();
    this.redraw();
    this.onChange();
  }

  clear() {
    this.strokes = [];
    this.redraw();
    this.onChange();
  }

  /** Replaces the strokes (used when restoring a shared drawing). */
  setStrokes(strokes) {
    this.strokes = strokes.map((points) => points.map(({ x, y }) => ({ x, y })));
    this.redraw();
    this.onChange();
  }

  redraw() {
    const { context: ctx, canvas } = this;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = canvas.width * STROKE_FRACTION;
    for (const points of this.strokes) {
      if (points.length === 1) {
        ctx.beginPath();
        ctx.arc(points[0].x, points[0].y, ctx.lineWidth / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(points[0].x, points[0].y);
      for (const p of points.slice(1)) ctx.lineTo(p.x, p.y);
      ctx.stroke();
    }
  }

  /** The ink as row-major intensities in [0, 1] (white on black). */
  ink() {
    const { width, height } = this.canvas;
    const pixels = this.context.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = pixels[i * 4] / 255;
    return ink;
  }
}
