// Numbers kept whole on their lines: a browser may break "4.4e-5" after its
// minus, leaving "4.4e-" at the end of one line and "5" on the next.

const NUMBER = /[±+-]?\d[\d.]*(?:e[+-]?\d+)?/g;

/** `text` as nodes for an element, each number in a span that style.css keeps on one line. */
export function wholeNumbers(text) {
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(NUMBER)) {
    if (match.index > at) nodes.push(text.slice(at, match.index));
    nodes.push(Object.assign(document.createElement('span'), { className: 'number', textContent: match[0] }));
    at = match.index + match[0].length;
  }
  if (at < text.length) nodes.push(text.slice(at));
  return nodes;
}
