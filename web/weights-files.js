// Weights in and out: the shipped files fetched at start, `.ckpt` files the
// user loads or saves, a Keras or safetensors model dropped on the page or
// chosen (the lab finds which decoder it is) or saved for those frameworks,
// and the last trained models kept in this browser.

import { forgetModels, keepModels, keptModels } from './keep.js';
import { errorText } from './messages.js';
import { fetchBytes } from './fetch-files.js';

export function setupWeights(ctx) {
  const { $, messages, state } = ctx;
  /** The shipped files as fetched at start, for "Reset models". */
  const shipped = {};
  /** Decoders whose models came from a file since the lab started (shipped or kept). */
  const loaded = new Set();
  const untrained = (name, err) => {
    state.untrained = true;
    messages.error('start-message', `The ${name} decoder starts untrained: ${errorText(err)}`);
  };

  /** Fetches every shipped file; the lab gets them through `loadShipped`. */
  ctx.fetchShipped = async () => {
    loaded.clear();
    await Promise.all(
      ctx.catalog.decoders.map(async ({ name }) => {
        try {
          shipped[name] = await fetchBytes(`weights/${name}.ckpt`, `the ${name} weights`);
        } catch (err) {
          untrained(name, err);
        }
      }),
    );
  };

  /**
   * Gives the lab the shipped models of `names` not loaded yet: the shown
   * ones before the first reconstruction, the rest after it.
   */
  ctx.loadShipped = async (names) => {
    for (const name of names.filter((n) => shipped[n] && !loaded.has(n))) {
      try {
        await ctx.client.call('loadWeights', [shipped[name], 'shipped weights']);
        loaded.add(name);
      } catch (err) {
        untrained(name, err);
      }
    }
  };

  ctx.loadShippedWeights = async () => {
    for (const { name } of ctx.catalog.decoders) {
      if (!shipped[name]) throw new Error(`the shipped ${name} weights did not load at start`);
      await ctx.client.call('loadWeights', [shipped[name], 'shipped weights']);
    }
  };

  ctx.forgetKept = () => forgetModels().catch(() => {});

  /** Stores every model in this browser, so a reload brings them back. */
  ctx.keepTrainedModels = async () => {
    try {
      const files = {};
      for (const { name } of ctx.catalog.decoders) files[name] = await ctx.client.call('saveWeights', [name]);
      await keepModels(files);
      ctx.probe.kept = true;
    } catch (err) {
      console.warn(`could not keep the trained models in this browser: ${errorText(err)}`);
    }
  };

  /** Loads the models kept from an earlier visit, if any; says so. */
  ctx.restoreKeptModels = async () => {
    let record;
    try {
      record = await keptModels();
    } catch (err) {
      console.warn(`no access to kept models: ${errorText(err)}`);
      return;
    }
    if (!record) return;
    try {
      // A record from a version with fewer decoders restores the ones it has.
      for (const { name } of ctx.catalog.decoders.filter((d) => record.files[d.name])) {
        await ctx.client.call('loadWeights', [record.files[name], 'kept from your last visit']);
        loaded.add(name);
      }
      $('train-status').textContent =
        `restored the models you trained on ${new Date(record.kept).toLocaleString()} (Reset models for the shipped ones)`;
    } catch (err) {
      messages.error(
        'train-message',
        `The models kept from your last visit could not be restored (${errorText(err)}); starting from the shipped weights.`,
      );
      await ctx.forgetKept();
      await ctx.loadShippedWeights().catch((e) => messages.error('train-message', errorText(e)));
    }
  };

  /** Loads a file the user chose or dropped; a bad one changes nothing and says why. */
  const loadFile = async (file) => {
    const limit = ctx.catalog.limits.weights_file_bytes;
    if (file.size > limit) {
      messages.error(
        'weights-message',
        `Could not load ${file.name}: ${file.size.toLocaleString()} bytes is too large for a weights file ` +
          `(at most ${limit.toLocaleString()}). The current models are unchanged.`,
      );
      return;
    }
    messages.note('weights-message', `Reading ${file.name}…`);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const info = await ctx.client.call('loadWeights', [bytes, file.name], [bytes.buffer]);
      // Never replaced by its shipped model, which a decoder not yet shown still waits for.
      loaded.add(info.decoder);
      const text = info.foreign
        ? `Loaded ${file.name}: ${info.foreign}.`
        : loadedText(file.name, info.decoder, ctx.catalog.decoders);
      messages.note('weights-message', text);
      state.untrained = false;
      state.origin = { from: 'file', steps: 0 };
      // That decoder's curves described the model it replaced.
      for (const chart of Object.values(ctx.charts)) chart.clearSeries(info.decoder);
      $('train-status').textContent = `${info.decoder}: weights from ${file.name}`;
      if (!state.shown.includes(info.decoder)) {
        await ctx.showDecoders([...state.shown, info.decoder]);
        ctx.address.write();
      }
      await ctx.refreshDecoders();
      ctx.live.request();
    } catch (err) {
      messages.error(
        'weights-message',
        `Could not load ${file.name}: ${errorText(err)}. The current models are unchanged.`,
      );
    }
  };

  $('weights-file').addEventListener('change', (event) => {
    const file = event.target.files[0];
    event.target.value = '';
    if (file) loadFile(file);
  });
  // A file dropped anywhere on the page but the drawing pad.
  document.addEventListener('dragover', (event) => {
    if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
  });
  document.addEventListener('drop', (event) => {
    const file = event.dataTransfer?.files[0];
    if (!file) return;
    event.preventDefault();
    $('weights-message').scrollIntoView({ block: 'nearest' });
    loadFile(file);
  });
}

/**
 * Says which decoder a file went into, and plainly so when its name suggests
 * another: the header decides, not the name.
 */
export function loadedText(fileName, decoder, decoders) {
  const base = fileName.toLowerCase().replace(/\.ckpt$/, '');
  // The longest name that fits, so "transposed-k4.ckpt" is not read as "transposed".
  const named = decoders
    .map((d) => d.name)
    .filter((name) => base === name || base.startsWith(`${name}-`) || base.startsWith(`${name}_`))
    .sort((a, b) => b.length - a.length)[0];
  const loaded = `Loaded ${fileName} into the ${decoder} decoder`;
  if (named && named !== decoder) {
    return `${loaded}: its name says ${named}, but the file holds ${decoder} weights, so the ${named} decoder is unchanged.`;
  }
  return loaded;
}

/** Fills the format chooser beside the save buttons from the catalog. */
export function setupSaveFormats(ctx) {
  const chooser = ctx.$('save-format');
  for (const { extension, label } of ctx.catalog.save_formats) {
    const option = document.createElement('option');
    option.value = extension;
    option.textContent = label;
    chooser.append(option);
  }
}

/**
 * Downloads a decoder's current model in the chosen format: the lab's
 * `.ckpt`, or a `.keras` or `.safetensors` file for Keras or PyTorch.
 */
export async function saveWeights(ctx, decoder) {
  const { messages } = ctx;
  const extension = ctx.$('save-format').value;
  const format = ctx.catalog.save_formats.find((f) => f.extension === extension);
  const fileName = `${decoder}.${extension}`;
  if (!format.decoders.includes(decoder)) {
    const others = ctx.catalog.save_formats.filter((f) => f.decoders.includes(decoder)).map((f) => `.${f.extension}`);
    messages.error(
      'weights-message',
      `The ${decoder} decoder cannot be saved as .${extension}: Keras has no layer for its pixel shuffle. ` +
        `Save it as ${others.join(' or ')}.`,
    );
    return;
  }
  messages.note('weights-message', `Writing ${fileName}…`);
  try {
    const bytes = await ctx.client.call('saveWeightsAs', [decoder, extension]);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    link.download = fileName;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    messages.note('weights-message', `Saved ${fileName} (${Math.ceil(bytes.length / 1024)} KiB).`);
  } catch (err) {
    messages.error('weights-message', `Could not save ${fileName}: ${errorText(err)}`);
  }
}
