// Keeps the last trained models in this browser (IndexedDB), so a reload
// does not throw away what the user trained.

const DATABASE = 'checkerlab';
const STORE = 'models';
const KEY = 'last-trained';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact(mode, act) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = act(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

/** Stores `{decoder: Uint8Array}` weights files, replacing any kept before. */
export function keepModels(files) {
  return transact('readwrite', (store) => store.put({ files, kept: Date.now() }, KEY));
}

/** The kept `{files, kept}` record, or null. */
export async function keptModels() {
  return (await transact('readonly', (store) => store.get(KEY))) ?? null;
}

export function forgetModels() {
  return transact('readwrite', (store) => store.delete(KEY));
}
