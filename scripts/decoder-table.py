#!/usr/bin/env python3
"""Prints the README's decoder tables from the training logs in weights/.

Each decoder's `weights/NAME.jsonl` starts with the untrained model (seed 0)
and holds step 200; `weights/NAME-continued.jsonl` ends with the shipped
weights. Every figure is the CLI's own evaluation on the 10,000 test digits
and the probes, so the tables can be regenerated, never typed in.

    python3 scripts/decoder-table.py
"""

import json
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
DECODERS = ["upsample", "transposed", "transposed-k4", "transposed-hold", "subpixel", "subpixel-icnr", "bilinear"]
PARAMETERS = {"upsample": 4385, "transposed": 4385, "transposed-k4": 6177, "transposed-hold": 4385,
              "subpixel": 10076, "subpixel-icnr": 10076, "bilinear": 4385}
PROBES = [("digits", "digits"), ("grey", "grey"), ("noise", "noise"), ("code_units", "code units")]


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
