// Where the active story sits and what it shows of the page. Wide screens
// give it a column beside the lab; narrower ones a sheet at the bottom
// (style.css), which the reader can fold down to its line of buttons. Each
// step brings its subject into the part of the window the story leaves free.

/** Space kept between the top of the window and a step's subject, unless its scroll-margin-top asks for more. */
const MARGIN = 8;

/**
 * Under the sheet, the pad sits above the panels instead of beside them, and
 * the explorer's explanation above its controls: what a step points at
 * there is the part it speaks of.
 */
const SHEET_SUBJECTS = { pad: 'panels', overlap: 'overlap-controls' };

/** Whether the story lies across the window's width, as the bottom sheet does. */
const isSheet = (root) => root.getBoundingClientRect().width >= window.innerWidth * 0.9;

/**
 * Scrolls the element `id` names to the top of the part of the window the
 * story leaves free, unless it is already there: all of it when it fits,
 * its top when it does not.
 */
export function bringIntoView(root, id) {
  const sheet = isSheet(root);
  const subject = document.getElementById(sheet ? (SHEET_SUBJECTS[id] ?? id) : id);
  // The sheet grows to its largest as a step's figures fill in: keep clear of that.
  const freeBottom = sheet
    ? window.innerHeight - Number.parseFloat(getComputedStyle(root).maxHeight)
    : window.innerHeight;
  const margin = Math.max(MARGIN, Number.parseFloat(getComputedStyle(subject).scrollMarginTop) || 0);
  const rect = subject.getBoundingClientRect();
  const fits = rect.height <= freeBottom - margin;
  const placed = rect.top >= margin && (fits ? rect.bottom <= freeBottom : rect.top <= freeBottom / 4);
  if (!placed) window.scrollBy(0, rect.top - margin);
}

/**
 * Makes `button` fold the story's step away and back; returns `fold(folded)`,
 * with which a new step opens it again.
 */
export function foldable(root, button) {
  const fold = (folded) => {
    root.classList.toggle('folded', folded);
    button.setAttribute('aria-expanded', String(!folded));
    button.textContent = folded ? 'Show text' : 'Hide text';
  };
  button.addEventListener('click', () => fold(!root.classList.contains('folded')));
  return fold;
}
