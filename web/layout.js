// What the page's layout needs beyond its style sheet: the legends folded
// on a narrow screen, where they would push the panels off it, and the key
// hints shown once the visitor has used a keyboard, even with no fine pointer.

/** As wide as the phone layout in style.css. */
const NARROW = '(max-width: 600px)';

const legends = document.getElementById('legends');
if (legends && window.matchMedia(NARROW).matches) legends.open = false;

document.addEventListener('keydown', () => document.documentElement.classList.add('keyboard'), { once: true });
