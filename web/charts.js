// Small line charts on a 2D canvas: one per quantity, one line per decoder.

export class LineChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{title: string, series: {name: string, colour: string}[], log?: boolean}} options
   */
  constructor(canvas, { title, series, log = false }) {
    this.canvas = canvas;
    this.title = title;
    this.log = log;
    this.series = series.map((s) => ({ ...s, points: [] }));
    this.draw();
  }

  add(name, x, y) {
    const series = this.series.find((s) => s.name === name);
    if (series && Number.isFinite(y) && (!this.log || y > 0)) series.points.push([x, y]);
  }

  clear() {
    for (const s of this.series) s.points = [];
    this.draw();
  }

  /** Forgets one decoder's points, as when its model was replaced. */
  clearSeries(name) {
    const series = this.series.find((s) => s.name === name);
    if (series) series.points = [];
    this.draw();
  }

  get pointCount() {
    return this.series.reduce((n, s) => n + s.points.length, 0);
  }

  draw() {
    const { canvas } = this;
    const ctx = canvas.getContext('2d');
    const { width, height } = canvas;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = '#111';
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = '#ddd';
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillText(this.title, 8, 14);

    // Only decoders with data, each with its latest value, wrapped into rows
    // that fit the canvas.
    const withData = this.series.filter((s) => s.points.length > 0);
    ctx.font = '11px ui-monospace, monospace';
    const rows = [[]];
    let legendX = 8;
    for (const s of withData) {
      const text = `${s.name} ${s.points.at(-1)[1].toPrecision(3)}`;
      const entryWidth = ctx.measureText(text).width + 14;
      if (legendX + entryWidth > width - 8 && rows.at(-1).length > 0) {
        rows.push([]);
        legendX = 8;
      }
      rows.at(-1).push({ colour: s.colour, text, x: legendX });
      legendX += entryWidth;
    }
    rows.forEach((row, i) => {
      for (const entry of row) {
        ctx.fillStyle = entry.colour;
        ctx.fillText(entry.text, entry.x, 30 + 13 * i);
      }
    });
    const pad = { left: 52, right: 10, top: 22 + 13 * rows.length, bottom: 22 };

    const points = withData.flatMap((s) => s.points);
    if (points.length === 0) {
      ctx.fillStyle = '#777';
      ctx.font = '12px system-ui, sans-serif';
      ctx.fillText('no data yet: press Train', pad.left, height / 2);
      return;
    }
    const ty = (y) => (this.log ? Math.log10(y) : y);
    let [x0, x1] = [Math.min(...points.map((p) => p[0])), Math.max(...points.map((p) => p[0]))];
    let [y0, y1] = [Math.min(...points.map((p) => ty(p[1]))), Math.max(...points.map((p) => ty(p[1])))];
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) {
      y0 -= 0.5;
      y1 += 0.5;
    }
    const px = (x) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
    const py = (y) => height - pad.bottom - ((ty(y) - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);

    ctx.strokeStyle = '#444';
    ctx.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
    ctx.fillStyle = '#aaa';
    ctx.font = '10px ui-monospace, monospace';
    const label = (v) => (this.log ? 10 ** v : v).toPrecision(3);
    ctx.fillText(label(y1), 4, pad.top + 8);
    ctx.fillText(label(y0), 4, height - pad.bottom);
    ctx.fillText(`${x0}`, pad.left, height - 6);
    ctx.fillText(`${x1} steps`, width - pad.right - 60, height - 6);

    for (const s of withData) {
      ctx.strokeStyle = s.colour;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (const [i, [x, y]] of s.points.entries()) {
        if (i) ctx.lineTo(px(x), py(y));
        else ctx.moveTo(px(x), py(y));
      }
      ctx.stroke();
    }
  }

  /** The legend's entries as drawn: each decoder with data and its latest value. */
  get legend() {
    return this.series.filter((s) => s.points.length > 0).map((s) => ({ name: s.name, latest: s.points.at(-1)[1] }));
  }
}
