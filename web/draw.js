// The drawing pad: mouse, touch and pen through Pointer Events, with undo
// and clear. Strokes are kept as point lists, so undo redraws exactly.

const STROKE_FRACTION = 0.075; // of the pad's side: MNIST-like stroke weight
/** Pixels beyond a stroke's half width that its anti-aliased edge may reach. */
const EDGE_PIXELS = 2;

/**
 * The canvas region that holds every pixel `strokes` ink, in whole pixels:
 * each point's box grown by half the line width and the anti-aliased edge,
 * clipped to the canvas. Null when there is no stroke.
 * @param {{x: number, y: number}[][]} strokes
 * @returns {{left: number, top: number, right: number, bottom: number} | null}
 *   inclusive-exclusive, like `inkBounds`
 */
export function strokeRegion(strokes, lineWidth, width, height) {
  const reach = lineWidth / 2 + EDGE_PIXELS;
  let left = Infinity,
    top = Infinity,
    right = -Infinity,
    bottom = -Infinity;
  for (const points of strokes) {
    for (const { x, y } of points) {
      left = Math.min(left, x - reach);
      right = Math.max(right, x + reach);
      top = Math.min(top, y - reach);
      bottom = Math.max(bottom, y + reach);
    }
  }
  const region = {
    left: Math.max(0, Math.floor(left)),
    top: Math.max(0, Math.floor(top)),
    right: Math.min(width, Math.ceil(right)),
    bottom: Math.min(height, Math.ceil(bottom)),
  };
  return region.left < region.right && region.top < region.bottom ? region : null;
}
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
    this.#paintDot(this.active.points[0]);
    this.onChange(event.timeStamp);
  }

  #extend(event) {
    if (!this.active || event.pointerId !== this.active.id) return;
    // Coalesced events keep fast pen strokes smooth.
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    const { points } = this.active;
    for (const e of events.length ? events : [event]) {
      const point = this.#point(e);
      this.#paintSegment(points[points.length - 1], point);
      points.push(point);
    }
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

  /** Paints all the strokes afresh, exactly as they were painted while drawn. */
  redraw() {
    const { context: ctx, canvas } = this;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineCap = 'round';
    ctx.lineWidth = canvas.width * STROKE_FRACTION; // as `ink` assumes
    for (const points of this.strokes) {
      this.#paintDot(points[0]);
      for (let i = 1; i < points.length; i++) this.#paintSegment(points[i - 1], points[i]);
    }
  }

  // A stroke is painted as a dot and then one round-capped segment per
  // point, while drawing and in `redraw` alike: the same operations in the
  // same order leave the same pixels, so a pointer move paints only its
  // new segments (repainting every stroke, and rasterising that before
  // the pad could be read, took most of the time from a move to its
  // reconstruction's request), and a redrawn drawing is the drawn one.
  #paintDot({ x, y }) {
    const ctx = this.context;
    ctx.beginPath();
    ctx.arc(x, y, ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
  }

  #paintSegment(from, to) {
    const ctx = this.context;
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
  }

  /**
   * The inked part of the pad as row-major intensities in [0, 1] (white on
   * black), with its size. Only the strokes' region is read: the MNIST
   * recipe places the ink by its own bounding box and centre of mass, so
   * the blank margin around it changes nothing, and reading it took about
   * half of the time from a pointer move to its reconstruction's request.
   * @returns {{ink: Float32Array, width: number, height: number}}
   */
  ink() {
    const { width, height } = this.canvas;
    const region = strokeRegion(this.strokes, width * STROKE_FRACTION, width, height);
    if (!region) return { ink: new Float32Array(1), width: 1, height: 1 };
    const regionWidth = region.right - region.left;
    const regionHeight = region.bottom - region.top;
    const pixels = this.context.getImageData(region.left, region.top, regionWidth, regionHeight).data;
    const ink = new Float32Array(regionWidth * regionHeight);
    for (let i = 0; i < ink.length; i++) ink[i] = pixels[i * 4] / 255;
    return { ink, width: regionWidth, height: regionHeight };
  }
}
