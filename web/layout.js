// What the page's layout needs beyond its style sheet: the legends folded
// on a narrow screen, where they would push the panels off it, and the key
// hints shown once the visitor has used a keyboard, even with no fine pointer.

/** As wide as the phone layout in style.css. */
const NARROW = '(max-width: 600px)';

const legends = document.getElementById('legends');
if (legends && window.matchMedia(NARROW).matches) legends.open = false;

// Typing in a field says nothing: a phone's on-screen keyboard does that too.
const showKeyHints = (event) => {
  if (event.target.closest?.('input, select, textarea')) return;
  document.documentElement.classList.add('keyboard');
  document.removeEventListener('keydown', showKeyHints);
};
document.addEventListener('keydown', showKeyHints);
