#!/usr/bin/env python3
"""Trains decoders x seeds with a named recipe and summarises the spread.

    python3 scripts/sweep.py jobs      # one shell command per run, for any scheduler
    python3 scripts/sweep.py run [-j N] # runs what is not finished, N at a time, niced
    python3 scripts/sweep.py summary   # writes results/sweep/summary.json, tables.md and
                                       # web/seed-spread.json (the page's probes table)
    python3 scripts/sweep.py summary --check   # (the test command) are they current?

Each job is one `scripts/train-run.sh RECIPE DECODER SEED PREFIX` call: it
depends on nothing but the repository, the MNIST files and the release
binary, and skips what it already finished, so the list can go unchanged to
GNU parallel over hosts, a Slurm array or Kubernetes Jobs (see docs/seeds.md).
Seed 0 of the shipped recipe is the shipped weights' own logs in weights/,
so the sweep trains seeds 1 and up for it.

Runs are single-threaded (Burn's flex backend parallelises only large
operations), so `run` starts one per core by default, at the lowest CPU
priority, so that a sweep can go on while the machine does other work.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results" / "sweep"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BINARY = TARGET / "release" / "checkerlab"

# The seeds each decoder gets: five for the two decoders the question is
# about, three for each fix.
MAIN_DECODERS = ("upsample", "transposed")
SEEDS = {"main": 5, "fix": 3}
# The blog's recipe in full, for the blog's two decoders, seed 0.
BLOG_DECODERS = MAIN_DECODERS


def catalog():
    """The lab's catalog: from the release binary when built, else the dev one."""
    command = [str(BINARY), "catalog"] if BINARY.exists() else \
        ["cargo", "run", "--quiet", "--package", "checkerlab-cli", "--", "catalog"]
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def prefix(recipe, decoder, seed):
    return RESULTS / recipe / f"{decoder}-seed{seed}"


def runs(decoders):
    """(recipe, decoder, seed) in the order that makes partial results useful:
    the two decoders the question is about first, seed by seed, so that
    their comparison grows evenly; the fixes next; the blog's long recipe
    last."""
    main = [d for d in MAIN_DECODERS if d in decoders]
    fixes = [d for d in decoders if d not in MAIN_DECODERS]
    shipped = [("shipped", d, s) for s in range(1, SEEDS["main"]) for d in main]
    shipped += [("shipped", d, s) for s in range(1, SEEDS["fix"]) for d in fixes]
    return shipped + [("blog", d, 0) for d in BLOG_DECODERS]


def command(recipe, decoder, seed):
    return ["scripts/train-run.sh", recipe, decoder, str(seed),
            str(prefix(recipe, decoder, seed).relative_to(ROOT))]


def finished(recipe, decoder, seed):
    """Whether the run's last log is there: the logs are committed and the
    weights are not, so a fresh clone must not train a finished run again."""
    return final_log(recipe, prefix(recipe, decoder, seed)).exists()


def final_log(recipe, base):
    """The log a run writes last (renamed from .partial once complete)."""
    return Path(f"{base}-continued.jsonl" if recipe == "shipped" else f"{base}.jsonl")


def build():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--package", "checkerlab-cli"],
                   cwd=ROOT, check=True)


def run_all(jobs):
    build()
    pending = [run for run in runs(decoder_names()) if not finished(*run)]
    print(f"{len(pending)} runs to go, {jobs} at a time", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)

    def one(run):
        began = time.monotonic()
        name = "-".join(map(str, run))
        with open(RESULTS / f"{name}.out", "w") as output:
            code = subprocess.run(command(*run), cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                                  preexec_fn=lambda: os.nice(19)).returncode
        minutes = (time.monotonic() - began) / 60
        print(f"{name}: {'done' if code == 0 else f'FAILED ({code})'} in {minutes:.0f} min",
              flush=True)
        return code

    with ThreadPoolExecutor(jobs) as pool:
        failures = sum(code != 0 for code in pool.map(one, pending))
    sys.exit(1 if failures else 0)


def decoder_names():
    return [decoder["name"] for decoder in catalog()["decoders"]]


def read_log(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def stages(recipe, decoder, seed):
    """The untrained, 200-step and trained log entries of one finished run,
    from its committed logs alone (the weights are not committed)."""
    if recipe == "shipped":
        base = ROOT / "weights" / decoder if seed == 0 else prefix(recipe, decoder, seed)
        first = read_log(Path(f"{base}.jsonl"))
        last = read_log(final_log(recipe, base))
        if not (first and last):
            return None
    else:
        first = last = read_log(Path(f"{prefix(recipe, decoder, seed)}.jsonl"))
        if not first:
            return None
    at_200 = next((entry for entry in first if entry["step"] == 200), None)
    # Each stage's log counts its own training time; the blog's one stage
    # is both `first` and `last`.
    seconds = last[-1]["train_seconds"] + (first[-1]["train_seconds"] if first is not last else 0)
    return {"untrained": first[0], "200 steps": at_200, "trained": last[-1],
            "run_seconds": seconds}


def spread(values):
    return {
        "mean": statistics.fmean(values),
        "sd": statistics.stdev(values) if len(values) > 1 else None,
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def summarise():
    """The summary JSON and the sweep's tables (docs/seeds.md), from the committed logs."""
    decoders = decoder_names()
    summary = {"recipes": {}}
    per_seed = {}
    for recipe in ("shipped", "blog"):
        table = {}
        for decoder in decoders:
            seeds = range(0, SEEDS["main"]) if recipe == "shipped" else [0]
            found = {seed: stages(recipe, decoder, seed) for seed in seeds}
            found = {seed: stage for seed, stage in found.items() if stage}
            if not found:
                continue
            per_seed[(recipe, decoder)] = found
            per_stage = {}
            for stage in STAGES:
                entries = [f[stage] for f in found.values() if f[stage]]
                if not entries:
                    continue
                figures = {"test_bce": spread([e["test_bce"] for e in entries])}
                for probe in entries[0]["probes"]:
                    for meter in entries[0]["probes"][probe]:
                        figures[f"{probe}.{meter}"] = spread(
                            [e["probes"][probe][meter] for e in entries])
                per_stage[stage] = figures
            trained = [f["trained"] for f in found.values()]
            table[decoder] = {
                "seeds": sorted(found),
                "epochs": trained[0]["epoch"],
                "train_seconds": spread([e["train_seconds"] for e in trained]),
                "run_seconds": spread([f["run_seconds"] for f in found.values()]),
                "stages": per_stage,
            }
        summary["recipes"][recipe] = table
    summary["ratios"] = ratios(per_seed)
    return summary, tables(summary), findings(per_seed, decoders), page_spread(summary, per_seed)


STAGES = ("untrained", "200 steps", "trained")
PROBES = (("digits", "test digits"), ("grey", "grey"), ("noise", "noise"),
          ("code_units", "code units"))


def ratios(per_seed):
    """Transposed over upsample stride energy, seed by seed (the same seed
    starts both encoders alike and orders their batches alike)."""
    out = {}
    for recipe in ("shipped", "blog"):
        up, tr = per_seed.get((recipe, "upsample"), {}), per_seed.get((recipe, "transposed"), {})
        paired = sorted(set(up) & set(tr))
        if not paired:
            continue
        out[recipe] = {"seeds": paired}
        for stage in STAGES:
            for probe, _ in PROBES:
                values = [tr[s][stage]["probes"][probe]["stride_energy"]
                          / up[s][stage]["probes"][probe]["stride_energy"]
                          for s in paired if tr[s][stage] and up[s][stage]]
                if values:
                    entry = spread(values)
                    entry["above_one"] = sum(v > 1 for v in values)
                    out[recipe][f"{stage}.{probe}"] = entry
    return out


def paired_ratios(per_seed, decoder, reference, stage, probe, recipe="shipped"):
    """`decoder`'s stride energy over `reference`'s, seed by seed, for the
    seeds both have."""
    a, b = per_seed.get((recipe, decoder), {}), per_seed.get((recipe, reference), {})
    return [a[s][stage]["probes"][probe]["stride_energy"] / b[s][stage]["probes"][probe]["stride_energy"]
            for s in sorted(set(a) & set(b)) if a[s][stage] and b[s][stage]]


def ratio_text(value):
    if value >= 10:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 0.1 else f"{value:.2f}" if value >= 0.01 else f"{value:.0e}"


def span(values, text=ratio_text):
    """One value, or the range over the seeds."""
    return text(values[0]) if len(values) == 1 else f"{text(min(values))}-{text(max(values))}"


def above_one(values):
    """'3/3 seeds above 1 (20-130x)': how far "more than the other" holds over the seeds."""
    return f"{sum(v > 1 for v in values)}/{len(values)} seeds above 1 ({span(values)}x)"


def findings(per_seed, decoders):
    """The findings (README.md, docs/findings.md), restated from the logs as far as they hold over
    the seeds: each names how many seeds it holds for, so no count or ratio
    in those sections is typed in."""
    lines = ["# Claims over seeds", "", "#### What holds over seeds", "",
             "Written by `python3 scripts/sweep.py summary` from the same logs as the tables "
             "(shipped recipe); each line: for how many of the seeds that both decoders have "
             "it holds, and the range of the ratio over those seeds.", "",
             "**transposed / upsample stride energy** (above 1: transposed has more of its "
             "variation at the stride-2 frequencies):", ""]
    for stage in STAGES:
        cells = []
        for probe, label in PROBES:
            values = paired_ratios(per_seed, "transposed", "upsample", stage, probe)
            if values:
                cells.append(f"{label} {above_one(values)}")
        if cells:
            lines.append(f"- {stage}: " + "; ".join(cells) + ".")
    lines += ["", "**Each fix against both originals, on grey** (stride energy, seed by seed):", ""]
    for decoder in decoders:
        if decoder in MAIN_DECODERS:
            continue
        parts = []
        for stage in ("untrained", "trained"):
            # Over transposed's, not under: ICNR can start at exactly zero.
            over_transposed = paired_ratios(per_seed, decoder, "transposed", stage, "grey")
            over_upsample = paired_ratios(per_seed, decoder, "upsample", stage, "grey")
            if not over_upsample:
                continue
            parts.append(f"{stage}: below transposed for {sum(v < 1 for v in over_transposed)}/"
                         f"{len(over_transposed)} seeds; over upsample {above_one(over_upsample)}")
        if parts:
            lines.append(f"- {decoder}, " + "; ".join(parts) + ".")
    lines += ["", "**Trained test BCE against upsample's** (below 1: better than upsample):", ""]
    for decoder in decoders:
        if decoder == "upsample":
            continue
        a, b = per_seed.get(("shipped", decoder), {}), per_seed.get(("shipped", "upsample"), {})
        values = [a[s]["trained"]["test_bce"] / b[s]["trained"]["test_bce"] for s in sorted(set(a) & set(b))]
        if values:
            better = sum(v < 1 for v in values)
            lines.append(f"- {decoder}: {span(values, lambda v: f'{v:.3f}')} of upsample's; "
                         f"better for {better}/{len(values)} seeds.")
    lines += blog_findings(per_seed)
    return "\n".join(lines).rstrip() + "\n"


def blog_findings(per_seed):
    """The blog's recipe (one seed of each original) against the spread of
    the shipped recipe's seeds: whether the recipe changes the picture.
    Untrained, both recipes start from the same seed-0 weights, so only the
    later stages are compared."""
    up = per_seed.get(("blog", "upsample"), {}).get(0)
    tr = per_seed.get(("blog", "transposed"), {}).get(0)
    if not (up and tr):
        return []
    lines = ["", "**The blog's recipe in full** (Adadelta, 50 epochs, batch 128; seed 0 of "
             "both originals) against the shipped recipe's seeds:", ""]
    for stage in ("200 steps", "trained"):
        cells = []
        for probe, label in PROBES:
            blog = tr[stage]["probes"][probe]["stride_energy"] / up[stage]["probes"][probe]["stride_energy"]
            shipped = paired_ratios(per_seed, "transposed", "upsample", stage, probe)
            where = "within" if min(shipped) <= blog <= max(shipped) else (
                "below" if blog < min(shipped) else "above")
            # Two decimals below 10, so "above 0.8-1.0" never reads 1.0.
            text = lambda v: ratio_text(v) if v >= 10 else f"{v:.2f}"
            cells.append(f"{label} {text(blog)}x ({where} the shipped recipe's {span(shipped, text)}x)")
        lines.append(f"- transposed / upsample stride energy, {stage}: " + "; ".join(cells) + ".")
    bce = lambda v: f"{v:.4f}"
    for decoder, run in (("upsample", up), ("transposed", tr)):
        shipped = [f["trained"]["test_bce"] for f in per_seed[("shipped", decoder)].values()]
        lines.append(f"- {decoder}, trained test BCE: {bce(run['trained']['test_bce'])} "
                     f"(shipped recipe: {span(shipped, bce)}).")
    ups, trs = per_seed[("shipped", "upsample")], per_seed[("shipped", "transposed")]
    paired = sorted(set(ups) & set(trs))
    transposed_lower = sum(trs[s]["trained"]["test_bce"] < ups[s]["trained"]["test_bce"] for s in paired)
    lower = "transposed" if tr["trained"]["test_bce"] < up["trained"]["test_bce"] else "upsample"
    lines.append(f"- the lower trained test BCE: {lower}'s under the blog's recipe; transposed's "
                 f"under the shipped recipe for {transposed_lower}/{len(paired)} seeds.")
    return lines


def fmt(figure, digits=3):
    """mean ± sd (min-max), or the one value when there is one seed."""
    number = (lambda v: f"{v:.{digits}f}") if figure["max"] >= 0.01 else (lambda v: f"{v:.1e}")
    if figure["n"] == 1:
        return number(figure["mean"])
    return (f"{number(figure['mean'])} ± {number(figure['sd'])} "
            f"({number(figure['min'])}-{number(figure['max'])})")


def tables(summary):
    lines = ["# Findings over seeds", "",
             "Written by `python3 scripts/sweep.py summary` from the sweep's logs "
             "(results/sweep/) and the shipped weights' (seed 0). Each cell: mean ± "
             "standard deviation (min-max) over the seeds, n in the first column.", ""]
    for recipe, title in (("shipped", "Shipped recipe (Adam, 18 epochs, batch 64)"),
                          ("blog", "The blog's recipe (Adadelta, 50 epochs, batch 128)")):
        table = summary["recipes"].get(recipe)
        if not table:
            continue
        lines += [f"#### {title}: training time", "",
                  "Minutes of training per run, as its logs record them: wall-clock "
                  "time of the training loop on one core of this 2-core machine, the "
                  "sweep's runs at the lowest priority while other work ran (pauses for "
                  "benchmarks count), so the spread is more the machine's load than the "
                  "decoder's cost; and all of the decoder's runs together.", "",
                  "| decoder | seeds | minutes per run | all runs, hours |",
                  "| --- | --- | --- | --- |"]
        for decoder, row in table.items():
            minutes = {k: (v / 60 if isinstance(v, float) else v) for k, v in row["run_seconds"].items()}
            hours = row["run_seconds"]["mean"] * row["run_seconds"]["n"] / 3600
            lines.append(f"| {decoder} | {len(row['seeds'])} | {fmt(minutes, 0)} | {hours:.1f} |")
        total = sum(row["run_seconds"]["mean"] * row["run_seconds"]["n"] for row in table.values())
        lines += [f"| all | | | {total / 3600:.1f} |", ""]
        lines += [f"#### {title}: test BCE", "",
                  "| decoder | seeds | untrained | after 200 steps | trained |",
                  "| --- | --- | --- | --- | --- |"]
        for decoder, row in table.items():
            cells = [fmt(row["stages"][stage]["test_bce"], 4) if stage in row["stages"] else "-"
                     for stage in STAGES]
            lines.append(f"| {decoder} | {len(row['seeds'])} | " + " | ".join(cells) + " |")
        lines.append("")
        for stage in STAGES:
            lines += [f"#### {title}: stride energy, {stage}", "",
                      "| decoder | " + " | ".join(label for _, label in PROBES) + " |",
                      "| --- | " + " | ".join("---" for _ in PROBES) + " |"]
            for decoder, row in table.items():
                figures = row["stages"].get(stage)
                if figures:
                    lines.append(f"| {decoder} | " + " | ".join(
                        fmt(figures[f"{probe}.stride_energy"]) for probe, _ in PROBES) + " |")
            lines.append("")
        ratio = summary["ratios"].get(recipe)
        if ratio:
            lines += [f"#### {title}: transposed / upsample stride energy, seed by seed "
                      f"({len(ratio['seeds'])} seed{'s' if len(ratio['seeds']) != 1 else ''}; in brackets, how many are above 1)", "",
                      "| stage | " + " | ".join(label for _, label in PROBES) + " |",
                      "| --- | " + " | ".join("---" for _ in PROBES) + " |"]
            for stage in STAGES:
                cells = []
                for probe, _ in PROBES:
                    entry = ratio.get(f"{stage}.{probe}")
                    cells.append("-" if not entry else
                                 f"{fmt(entry, 1)} [{entry['above_one']}/{entry['n']}]")
                lines.append(f"| {stage} | " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def page_spread(summary, per_seed):
    """What the page's probes table draws its models against: each decoder's
    stride energy on each probe, untrained and trained, over the shipped
    recipe's seeds (the recipe of the weights the page ships). `by_seed`
    keeps each seed's value, so that the story can pair a fix with upsample
    seed by seed, as the findings do."""
    decoders = {}
    for decoder, row in summary["recipes"].get("shipped", {}).items():
        runs = per_seed[("shipped", decoder)]
        stages = {}
        for stage in ("untrained", "trained"):
            figures = row["stages"].get(stage, {})
            stages[stage] = {}
            for key in sorted(figures):
                if not key.endswith(".stride_energy"):
                    continue
                probe = key.removesuffix(".stride_energy")
                entry = {k: figures[key][k] for k in ("min", "mean", "max", "n")}
                entry["by_seed"] = {str(seed): run[stage]["probes"][probe]["stride_energy"]
                                    for seed, run in sorted(runs.items()) if run[stage]}
                stages[stage][probe] = entry
        decoders[decoder] = {"seeds": row["seeds"], "stages": stages}
    return {"recipe": "shipped", "meter": "stride_energy", "decoders": decoders}


SPREAD_FILE = ROOT / "web" / "seed-spread.json"


def write_summary(check):
    summary, text, claims, spread = summarise()
    outputs = {RESULTS / "summary.json": json.dumps(summary, indent=1, sort_keys=True) + "\n",
               RESULTS / "tables.md": text,
               RESULTS / "findings.md": claims,
               SPREAD_FILE: json.dumps(spread, separators=(",", ":")) + "\n"}
    stale = [path for path, content in outputs.items()
             if not path.exists() or path.read_text() != content]
    if check:
        if stale:
            sys.exit("stale: " + ", ".join(str(p.relative_to(ROOT)) for p in stale)
                     + " (run python3 scripts/sweep.py summary)")
        print("the sweep's summary, tables and the page's spread file match its logs")
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    for path, content in outputs.items():
        path.write_text(content)
        print(f"wrote {path.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("jobs", help="print one shell command per run")
    run = sub.add_parser("run", help="run the unfinished jobs")
    run.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    summary = sub.add_parser("summary", help="write results/sweep/summary.json, tables.md and the page's "
                             "web/seed-spread.json")
    summary.add_argument("--check", action="store_true",
                         help="only say whether they match the logs (exit 1 if not)")
    args = parser.parse_args()
    if args.action == "jobs":
        for run in runs(decoder_names()):
            print(" ".join(command(*run)))
    elif args.action == "run":
        if args.jobs < 1:
            parser.error("--jobs must be at least 1")
        run_all(args.jobs)
    else:
        write_summary(args.check)


if __name__ == "__main__":
    main()
