#!/usr/bin/env python3
"""Writes the decoder tables from the training logs in weights/:
results/decoders.md (test BCE; the README and docs/model.md include it) and
results/decoder-meters.md (the checkerboard meters; docs/model.md).

Each decoder's `weights/NAME.jsonl` starts with the untrained model (seed 0)
and holds step 200; `weights/NAME-continued.jsonl` ends with the shipped
weights. Every figure is the CLI's own evaluation on the 10,000 test digits
and the probes, so the tables can be regenerated, never typed in.

    python3 scripts/decoder-table.py [--check]

With --check it only says whether both files are current and exits 1 if
not (the test command runs that).

The decoders, their parameter counts and the probes come from the lab's
own catalog (`checkerlab catalog`), so a new decoder appears here unchanged.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "weights"
RESULTS = ROOT / "results"
CATALOG = json.loads(subprocess.run(
    ["cargo", "run", "--quiet", "--package", "checkerlab-cli", "--", "catalog"],
    cwd=ROOT, check=True, capture_output=True, text=True).stdout)
DECODERS = [decoder["name"] for decoder in CATALOG["decoders"]]
PARAMETERS = {decoder["name"]: decoder["parameters"] for decoder in CATALOG["decoders"]}
# The meter tables leave out the shuffled codes, which the code units subsume.
PROBES = [(probe["key"], probe["label"]) for probe in CATALOG["probes"] if probe["key"] != "shuffled_codes"]


def entries(name):
    path = WEIGHTS / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def science(value):
    return f"{value:.1e}"


def stages_of_every_decoder():
    """Each decoder's log entries untrained, after 200 steps and shipped."""
    stages = {}
    for decoder in DECODERS:
        first, continued = entries(f"{decoder}.jsonl"), entries(f"{decoder}-continued.jsonl")
        # The continued log's first line is the stage-one model; the shipped one comes last.
        if not first or len(continued) < 2:
            continue
        stages[decoder] = {
            "untrained": first[0],
            "200 steps": next(e for e in first if e["step"] == 200),
            "trained": continued[-1],
        }
    return stages


SOURCE = ("Written by `python3 scripts/decoder-table.py` from the shipped weights' training logs "
          "(`weights/*.jsonl`): the CLI's own evaluation on the 10,000 test digits and the probes.")


def bce_table(stages):
    lines = ["# The decoders' test BCE", "", SOURCE, "",
             "| decoder | what it is | parameters | test BCE untrained (seed 0) | after 200 steps | shipped |",
             "| --- | --- | --- | --- | --- | --- |"]
    labels = {decoder["name"]: decoder["label"] for decoder in CATALOG["decoders"]}
    for decoder in DECODERS:
        if decoder not in stages:
            lines.append(f"| {decoder} | {labels[decoder]} | {PARAMETERS[decoder]:,} | no complete training log yet | | |")
            continue
        stage = stages[decoder]
        lines.append(f"| {decoder} | {labels[decoder]} | {PARAMETERS[decoder]:,} | {stage['untrained']['test_bce']:.3f} | "
                     f"{stage['200 steps']['test_bce']:.3f} | **{stage['trained']['test_bce']:.4f}** |")
    return "\n".join(lines) + "\n"


def meter_tables(stages):
    lines = ["# The decoders' checkerboard meters", "", SOURCE, ""]
    header = " | ".join(f"{label} init | {label} trained" for _, label in PROBES)
    for meter, title in [("stride_energy", "Stride energy"), ("polyphase_spread", "Phase spread")]:
        lines.append(f"{title}, untrained (seed 0) and shipped:")
        lines.append("")
        lines.append(f"| decoder | {header} |")
        lines.append("| --- |" + " --- |" * (2 * len(PROBES)))
        for decoder, stage in stages.items():
            cells = []
            for key, _ in PROBES:
                cells.append(science(stage["untrained"]["probes"][key][meter]))
                cells.append(science(stage["trained"]["probes"][key][meter]))
            lines.append(f"| {decoder} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += originals_in_detail(stages)
    return "\n".join(lines)


def originals_in_detail(stages):
    """The two originals side by side on every probe (shuffled codes too),
    at each stage, with the ratio transposed / upsample; in bold where the
    transposed decoder's stride energy is at least twice upsample's."""
    if not {"upsample", "transposed"} <= stages.keys():
        return []
    lines = [
        "The two originals in more detail, with the stage after 200 steps and the ratio transposed / upsample:",
        "",
        "| probe | when | stride energy: upsample | transposed | ratio | phase spread: upsample | transposed | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for probe in CATALOG["probes"]:
        for when, stage in [("untrained", "untrained"), ("200 steps", "200 steps"), ("trained", "trained")]:
            cells = []
            for meter in ("stride_energy", "polyphase_spread"):
                ours = stages["upsample"][stage]["probes"][probe["key"]][meter]
                theirs = stages["transposed"][stage]["probes"][probe["key"]][meter]
                ratio = f"{theirs / ours:.1f}x"
                if meter == "stride_energy" and theirs >= 2 * ours:
                    ratio = f"**{ratio}**"
                cells += [f"{ours:.1e}", f"{theirs:.1e}", ratio]
            lines.append(f"| {probe['label']} | {when} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def main():
    stages = stages_of_every_decoder()
    files = {RESULTS / "decoders.md": bce_table(stages), RESULTS / "decoder-meters.md": meter_tables(stages)}
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    if "--check" in sys.argv[1:]:
        if stale:
            names = ", ".join(str(path.relative_to(ROOT)) for path in stale)
            sys.exit(f"{names}: not what the logs give: run python3 scripts/decoder-table.py")
        print("results/decoders.md and results/decoder-meters.md are what the logs give")
        return
    for path in stale:
        path.write_text(files[path])


if __name__ == "__main__":
    main()
