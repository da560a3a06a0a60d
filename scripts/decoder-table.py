#!/usr/bin/env python3
"""Prints the README's decoder tables from the training logs in weights/.

Each decoder's `weights/NAME.jsonl` starts with the untrained model (seed 0)
and holds step 200; `weights/NAME-continued.jsonl` ends with the shipped
weights. Every figure is the CLI's own evaluation on the 10,000 test digits
and the probes, so the tables can be regenerated, never typed in.

    python3 scripts/decoder-table.py

The decoders, their parameter counts and the probes come from the lab's
own catalog (`checkerlab catalog`), so a new decoder appears here unchanged.
"""

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "weights"
CATALOG = json.loads(subprocess.run(
    ["cargo", "run", "--quiet", "--package", "checkerlab-cli", "--", "catalog"],
    cwd=ROOT, check=True, capture_output=True, text=True).stdout)
DECODERS = [decoder["name"] for decoder in CATALOG["decoders"]]
PARAMETERS = {decoder["name"]: decoder["parameters"] for decoder in CATALOG["decoders"]}
# The README's tables leave out the shuffled codes, which the code units subsume.
PROBES = [(probe["key"], probe["label"]) for probe in CATALOG["probes"] if probe["key"] != "shuffled_codes"]


def entries(name):
    path = WEIGHTS / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def science(value):
    return f"{value:.1e}"


def main():
    stages = {}
    for decoder in DECODERS:
        first, continued = entries(f"{decoder}.jsonl"), entries(f"{decoder}-continued.jsonl")
        # The continued log's first line is the stage-one model; the shipped one comes last.
        if not first or len(continued) < 2:
            print(f"<!-- {decoder}: no complete training log yet -->")
            continue
        stages[decoder] = {
            "untrained": first[0],
            "200 steps": next(e for e in first if e["step"] == 200),
            "trained": continued[-1],
        }

    print("| decoder | parameters | test BCE untrained | after 200 steps | shipped |")
    print("| --- | --- | --- | --- | --- |")
    for decoder, stage in stages.items():
        print(f"| {decoder} | {PARAMETERS[decoder]:,} | {stage['untrained']['test_bce']:.3f} | "
              f"{stage['200 steps']['test_bce']:.3f} | **{stage['trained']['test_bce']:.4f}** |")
    print()
    header = " | ".join(f"{label} init | {label} trained" for _, label in PROBES)
    for meter, title in [("stride_energy", "Stride energy"), ("polyphase_spread", "Phase spread")]:
        print(f"{title}, untrained (seed 0) and shipped:")
        print()
        print(f"| decoder | {header} |")
        print("| --- |" + " --- |" * (2 * len(PROBES)))
        for decoder, stage in stages.items():
            cells = []
            for key, _ in PROBES:
                cells.append(science(stage["untrained"]["probes"][key][meter]))
                cells.append(science(stage["trained"]["probes"][key][meter]))
            print(f"| {decoder} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
