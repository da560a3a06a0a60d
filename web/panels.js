// The decoders' panels, chooser buttons and save buttons, built from the
// list the lab reports, so a decoder added in Rust appears here unchanged.

import { term, withTerms } from './glossary.js';

/** One colour per decoder, in the lab's order; the first two match the originals. */
const PALETTE = ['#4fc3f7', '#ff8a65', '#ffd54f', '#ce93d8', '#e57373', '#81c784', '#b0bec5', '#f06292'];

/** The colour of the decoder at `index`: past the palette, hues spread by the golden angle, so none repeats. */
const colourAt = (index) => PALETTE[index] ?? `hsl(${Math.round((index * 137.5) % 360)} 70% 70%)`;

/**
 * @typedef {{name: string, label: string, parameters: number, shown: boolean}} Decoder
 * @typedef {{name: string, colour: string, figure: HTMLElement, canvas: HTMLCanvasElement,
 *   component: HTMLCanvasElement, amplitude: HTMLElement, share: HTMLElement, meter: MeterText, bar: HTMLElement,
 *   toggle: HTMLButtonElement, save: HTMLButtonElement}} DecoderView
 * @typedef {{element: HTMLElement, bce: HTMLElement, bceValue: HTMLElement, strideEnergy: HTMLElement,
 *   phaseSpread: HTMLElement}} MeterText
 */

/**
 * Adds a figure, a chooser toggle and a save button for every decoder.
 * @param {Decoder[]} decoders
 * @param {{panels: HTMLElement, chooser: HTMLElement, saves: HTMLElement,
 *   onToggle: (name: string) => void, onSave: (name: string) => void}} places
 * @returns {Map<string, DecoderView>}
 */
export function buildDecoderViews(decoders, { panels, chooser, saves, onToggle, onSave }) {
  const views = new Map();
  decoders.forEach((decoder, index) => {
    const colour = colourAt(index);
    const { name } = decoder;

    const figure = element('figure', { hidden: true });
    figure.dataset.decoder = name;
    figure.style.setProperty('--decoder-colour', colour);
    const canvas = element('canvas', { id: `panel-${name}`, width: 168, height: 168 });
    canvas.setAttribute('aria-label', `Reconstruction by the ${name} decoder`);
    const component = element('canvas', { id: `component-${name}`, width: 84, height: 84, className: 'component' });
    component.setAttribute('aria-label', `Stride-2 component of the ${name} decoder's reconstruction, amplified`);
    const amplitude = element('span', { className: 'amplitude', id: `amplitude-${name}` });
    const share = element('span', { className: 'component-share', id: `share-${name}`, hidden: true });
    const pair = element('div', { className: 'panel-pair' });
    const side = element('div', { className: 'component-side' });
    side.append(component, amplitude, share);
    pair.append(canvas, side);
    const caption = element('figcaption');
    const meter = meterText(`meter-${name}`);
    const bar = meterBar(`bar-${name}`);
    caption.append(
      element('b', { textContent: name }),
      element('br'),
      element('span', { className: 'decoder-label' }, withTerms(decoder.label)),
      element('br'),
      meter.element,
      bar,
    );
    figure.append(pair, caption);
    panels.append(figure);

    const toggle = element('button', { type: 'button', id: `show-${name}`, textContent: name });
    toggle.title = `${decoder.label} · ${decoder.parameters.toLocaleString('en')} parameters`;
    toggle.style.setProperty('--decoder-colour', colour);
    toggle.addEventListener('click', () => onToggle(name));
    chooser.append(toggle);

    const save = element('button', { type: 'button', id: `save-${name}`, textContent: `Save ${name} weights` });
    save.addEventListener('click', () => onSave(name));
    saves.append(save);

    views.set(name, { name, colour, figure, canvas, component, amplitude, share, meter, bar, toggle, save });
  });
  return views;
}

/** Shows the views of the decoders in `shown` and hides the rest. */
export function showDecoderViews(views, shown) {
  for (const view of views.values()) {
    const on = shown.includes(view.name);
    view.figure.hidden = !on;
    view.save.hidden = !on;
    view.toggle.setAttribute('aria-pressed', String(on));
  }
}

/**
 * The meters' line under a panel, "BCE 0.081 · stride energy 2.1e-3 · phase
 * spread 4.0e-3", built once with each label a glossary term; painting
 * writes only the figures (`writeMeters` in reconstruction.js), so a term
 * stays clickable while the figures change.
 * @returns {MeterText}
 */
function meterText(id) {
  const value = () => element('span', { className: 'meter-value' });
  const [bceValue, strideEnergy, phaseSpread] = [value(), value(), value()];
  const bce = element('span', { className: 'meter-bce' }, [term('bce'), ' ', bceValue, ' · ']);
  const line = element('span', { className: 'meter-text', id }, [
    bce,
    term('stride-energy'),
    ' ',
    strideEnergy,
    ' · ',
    term('phase-spread'),
    ' ',
    phaseSpread,
  ]);
  return { element: line, bce, bceValue, strideEnergy, phaseSpread };
}

/**
 * A stride-energy bar on a log scale (see meters.js), with the marks of the
 * test digits' own level and white noise's; filled by `setMeterBar`.
 */
function meterBar(id) {
  const bar = element('span', { id, className: 'meter-bar' });
  bar.setAttribute('role', 'meter');
  bar.append(
    element('span', { className: 'meter-fill' }),
    element('i', { className: 'meter-mark digits' }),
    element('i', { className: 'meter-mark noise' }),
  );
  return bar;
}

function element(tag, properties = {}, children = []) {
  const made = Object.assign(document.createElement(tag), properties);
  made.append(...children);
  return made;
}
