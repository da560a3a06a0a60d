// What the page says: one status line for what the lab is doing, and each
// message beside the action that caused it, replacing the one before.

const SUCCESS_MS = 8000;

export class Messages {
  /** @param {(id: string) => HTMLElement} $ */
  constructor($) {
    this.$ = $;
    this.timers = new Map();
  }

  /** The status line: what the lab is doing now; `busy` shows a spinner. */
  status(text, busy = true) {
    this.$('status-text').textContent = text;
    this.$('status').classList.toggle('busy', busy);
  }

  /** An error, in the message slot `slot` (an element id) beside its action; it stays until replaced. */
  error(slot, text) {
    this.#say(slot, text, 'error');
  }

  /** A success or note in `slot`; it fades after a while. */
  note(slot, text) {
    this.#say(slot, text, 'note');
    clearTimeout(this.timers.get(slot));
    this.timers.set(
      slot,
      setTimeout(() => this.clear(slot), SUCCESS_MS),
    );
  }

  clear(slot) {
    const place = this.$(slot);
    place.replaceChildren();
    place.hidden = true;
  }

  #say(slot, text, kind) {
    clearTimeout(this.timers.get(slot));
    const place = this.$(slot);
    const message = Object.assign(document.createElement('span'), { className: kind, textContent: text });
    const dismiss = Object.assign(document.createElement('button'), {
      type: 'button',
      textContent: 'dismiss',
      className: 'dismiss',
    });
    dismiss.addEventListener('click', () => this.clear(slot));
    place.replaceChildren(message, dismiss);
    place.hidden = false;
  }
}

export const errorText = (err) => err?.message || String(err);
