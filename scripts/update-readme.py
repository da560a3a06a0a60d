#!/usr/bin/env python3
"""Keeps the README's figures equal to the committed results they quote.

Between `<!-- include PATH -->` and `<!-- end include -->` the README holds a
copy of the file PATH (relative to the repository), without its `# ` title
line. This script rewrites those copies; with --check it only says whether
they are current and exits 1 if not (the test command runs that), so no
figure in the README is typed in by hand.

    python3 scripts/update-readme.py [--check]
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- include (\S+) -->\n)(.*?)(<!-- end include -->)", re.S)


def body(path):
    lines = (ROOT / path).read_text().splitlines()
    return "\n".join(line for line in lines if not line.startswith("# ")).strip() + "\n"


def main():
    text = README.read_text()
    updated = BLOCK.sub(lambda m: m.group(1) + body(m.group(2)) + m.group(4), text)
    if "--check" in sys.argv[1:]:
        if updated != text:
            sys.exit("README.md quotes results that changed: run python3 scripts/update-readme.py")
        print("README.md quotes the committed results as they are")
        return
    README.write_text(updated)


if __name__ == "__main__":
    main()
