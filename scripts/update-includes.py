#!/usr/bin/env python3
"""Keeps the figures in README.md and docs/*.md equal to the committed
results they quote.

Between `<!-- include PATH -->` and `<!-- end include -->` a page holds a
copy of the file PATH (relative to the repository), without its `# ` title
line, and with its headings moved down so that the highest sits one level
below the section that includes it. This script rewrites those copies; with
--check it only says whether they are current and exits 1 if not (the test
command runs that), so no figure in the pages is typed in by hand.

    python3 scripts/update-includes.py [--check]
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!-- include (\S+) -->\n)(.*?)(<!-- end include -->)", re.S)
HEADING = re.compile(r"^(#+) ")


def body(path, section_level):
    """The file's text without its title, its headings below `section_level`."""
    lines = [line for line in (ROOT / path).read_text().splitlines() if not line.startswith("# ")]
    levels = [len(m.group(1)) for line in lines if (m := HEADING.match(line))]
    shift = section_level + 1 - min(levels) if levels else 0
    moved = [HEADING.sub(lambda m: "#" * (len(m.group(1)) + shift) + " ", line) for line in lines]
    return "\n".join(moved).strip() + "\n"


FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def section_level(text, position):
    """The level of the last heading before `position` (0 if none), not
    counting those of earlier copies or of code blocks."""
    before = BLOCK.sub(lambda m: m.group(1) + m.group(4), text[:position])
    before = FENCE.sub("", before)
    levels = [len(m.group(1)) for m in re.finditer(r"^(#+) ", before, re.M)]
    return levels[-1] if levels else 0


def updated(text):
    def copy(match):
        level = section_level(text, match.start())
        return match.group(1) + body(match.group(2), level) + match.group(4)

    return BLOCK.sub(copy, text)


def main():
    stale = []
    for page in PAGES:
        text = page.read_text()
        new = updated(text)
        if new != text:
            stale.append(page.relative_to(ROOT))
            if "--check" not in sys.argv[1:]:
                page.write_text(new)
    if "--check" in sys.argv[1:]:
        if stale:
            sys.exit(f"{', '.join(map(str, stale))} quote results that changed: run python3 scripts/update-includes.py")
        print("README.md and docs/ quote the committed results as they are")


if __name__ == "__main__":
    main()
