// PyTorch's own files (.pt, .pth: what `torch.save(model.state_dict(), …)`
// writes) in the page. Burn reads them from a path only, so the page opens
// the zip with fflate and reads the pickle with pickleparser (both from npm,
// copied beside the wasm by scripts/build-web.sh), and hands the lab the
// `.safetensors` file of the same tensors, which it recognises as it does
// any other. Imported only when such a file arrives.
//
// A pickle is a program. Nothing in it is run: pickleparser only builds
// values, and every name the pickle asks for must be one of the few a state
// dict needs (`PICKLE_NAMES`); any other refuses the file, naming it.

import { unzipSync } from './pkg/fflate.js';
import './pkg/pickleparser.js';

const { NameRegistry, Parser } = globalThis.pickleparser;

/** The most bytes a .pt may unpack to: the lab's weights files are under 50 kB. */
const MAX_UNPACKED_BYTES = 16 << 20;
/** The most values one tensor may hold (our largest layer holds 4,608). */
const MAX_TENSOR_VALUES = 1 << 22;

/** The storage classes a state dict's tensors name, by the safetensors dtype of their values. */
const STORAGES = {
  FloatStorage: { bytes: 4, read: (view, at) => view.getFloat32(at, true) },
  DoubleStorage: { bytes: 8, read: (view, at) => view.getFloat64(at, true) },
};

/** A tensor as `_rebuild_tensor_v2` describes it: a view of a storage. */
class TensorView {
  constructor(storage, offset, size, stride) {
    Object.assign(this, { storage, offset, size, stride });
  }
}

/** A storage named by a persistent id: which entry of the zip holds its values. */
class StorageRef {
  constructor(type, key, numel) {
    Object.assign(this, { type, key, numel });
  }
}

const isCount = (value) => Number.isSafeInteger(value) && value >= 0;

/** Every name a state dict's pickle asks for; any other refuses the file. */
const PICKLE_NAMES = {
  'collections.OrderedDict': function OrderedDict() {
    return new Map();
  },
  'torch._utils._rebuild_tensor_v2': (storage, offset, size, stride) => {
    if (!(storage instanceof StorageRef)) throw new Error('a tensor is rebuilt from something other than a storage');
    if (!isCount(offset) || !Array.isArray(size) || !Array.isArray(stride) || size.length !== stride.length) {
      throw new Error('a tensor has a malformed offset, shape or stride');
    }
    if (![...size, ...stride].every(isCount)) throw new Error('a tensor has a malformed shape or stride');
    return new TensorView(storage, offset, size, stride);
  },
  'torch._utils._rebuild_parameter': (data) => {
    if (!(data instanceof TensorView)) throw new Error('a parameter holds no tensor');
    return data;
  },
  ...Object.fromEntries(Object.keys(STORAGES).map((name) => [`torch.${name}`, { storage: name }])),
};

/** Resolves only `PICKLE_NAMES`: anything else is code the file would have Python run. */
class StateDictNames extends NameRegistry {
  constructor() {
    super();
    for (const [qualified, value] of Object.entries(PICKLE_NAMES)) {
      const dot = qualified.lastIndexOf('.');
      this.register(qualified.slice(0, dot), qualified.slice(dot + 1), value);
    }
  }

  onMissingName(module, name) {
    const hint =
      module === '__main__' || !module.startsWith('torch')
        ? ': it looks like a whole model was saved; save its state dict instead, torch.save(model.state_dict(), "model.pt")'
        : '';
    throw new Error(`it asks Python to run ${module}.${name}, and the lab reads tensors only${hint}`);
  }
}

/** Storages as torch.save names them: ('storage', type, key, location, numel). */
const storageIds = {
  resolve(pid) {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
      throw new Error('it holds an object other than a tensor storage');
    }
    const [, type, key, , numel] = pid;
    if (!Object.hasOwn(STORAGES, type?.storage)) {
      throw new Error(`a storage holds ${String(type?.storage ?? type)} values; only 32- and 64-bit floats are read`);
    }
    if (typeof key !== 'string' || !/^\w+$/.test(key) || !isCount(numel)) {
      throw new Error('a storage has a malformed key or size');
    }
    return new StorageRef(type.storage, key, numel);
  },
};

/** The zip's entries, each checked for size before it is unpacked. */
function unpack(bytes) {
  let total = 0;
  return unzipSync(bytes, {
    filter(entry) {
      total += entry.originalSize;
      if (!isCount(entry.originalSize) || total > MAX_UNPACKED_BYTES) {
        throw new Error(`it unpacks to more than ${MAX_UNPACKED_BYTES} bytes`);
      }
      return true;
    },
  });
}

/** `view`'s values in row-major order, as 32-bit floats. */
function gather(view, entries, prefix) {
  const { storage, offset, size, stride } = view;
  const values = size.reduce((n, d) => n * d, 1);
  if (values > MAX_TENSOR_VALUES) throw new Error(`a tensor of shape [${size}] is too large for this model`);
  const bytes = entries[`${prefix}data/${storage.key}`];
  if (!bytes) throw new Error(`storage ${storage.key} is missing from the archive`);
  const { bytes: width, read } = STORAGES[storage.type];
  const available = Math.min(storage.numel, Math.floor(bytes.length / width));
  const last = offset + size.reduce((sum, d, axis) => sum + (d > 0 ? (d - 1) * stride[axis] : 0), 0);
  if (values > 0 && last >= available) throw new Error(`a tensor reads past the end of storage ${storage.key}`);
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(values);
  const index = new Array(size.length).fill(0);
  for (let i = 0; i < values; i++) {
    let at = offset;
    for (let axis = 0; axis < size.length; axis++) at += index[axis] * stride[axis];
    out[i] = read(data, at * width);
    for (let axis = size.length - 1; axis >= 0; axis--) {
      if (++index[axis] < size[axis]) break;
      index[axis] = 0;
    }
  }
  return out;
}

/** `tensors` (name → {shape, values}) as a `.safetensors` file of 32-bit floats. */
function safetensorsFile(tensors) {
  const header = {};
  let end = 0;
  for (const [name, { shape, values }] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [end, end + values.byteLength] };
    end += values.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // the format aligns the data to 8 bytes
  const text = new TextEncoder().encode(json);
  const file = new Uint8Array(8 + text.length + end);
  new DataView(file.buffer).setBigUint64(0, BigInt(text.length), true);
  file.set(text, 8);
  let at = 8 + text.length;
  for (const [, { values }] of tensors) {
    file.set(new Uint8Array(values.buffer), at);
    at += values.byteLength;
  }
  return file;
}

/**
 * A torch.save'd state dict as the `.safetensors` bytes of the same
 * tensors; throws the reason where the file is none.
 */
export function torchToSafetensors(bytes) {
  let entries;
  try {
    entries = unpack(bytes);
  } catch (err) {
    throw new Error(`not a readable PyTorch zip: ${err.message ?? err}`);
  }
  const pickleName = Object.keys(entries).find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (!pickleName) throw new Error('not a torch.save file: it holds no data.pkl');
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const order = entries[`${prefix}byteorder`];
  if (order && new TextDecoder().decode(order) !== 'little') throw new Error('its tensors are stored big-endian');
  let state;
  try {
    const parser = new Parser({
      nameResolver: new StateDictNames(),
      persistentResolver: storageIds,
      unpicklingTypeOfDictionary: 'Map',
    });
    state = parser.parse(entries[pickleName]);
  } catch (err) {
    throw new Error(`its pickle is not a state dict of tensors: ${err.message ?? err}`);
  }
  if (!(state instanceof Map)) throw new Error('it holds no state dict: save model.state_dict()');
  const tensors = [];
  for (const [name, value] of state) {
    if (typeof name !== 'string') throw new Error('a state dict entry has a name that is not text');
    if (!(value instanceof TensorView)) throw new Error(`entry '${name}' is not a tensor`);
    tensors.push([name, { shape: value.size, values: gather(value, entries, prefix) }]);
  }
  if (tensors.length === 0) throw new Error('its state dict holds no tensors');
  return safetensorsFile(tensors);
}
