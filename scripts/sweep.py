#!/usr/bin/env python3
"""Trains decoders x seeds with a named recipe and summarises the spread.

    python3 scripts/sweep.py jobs      # one shell command per run, for any scheduler
    python3 scripts/sweep.py run [-j N] # runs what is not finished, N at a time, niced
    python3 scripts/sweep.py summary   # writes results/sweep/summary.json from the logs

Each job is one `scripts/train-run.sh RECIPE DECODER SEED PREFIX` call: it
depends on nothing but the repository, the MNIST files and the release
binary, and skips what it already finished, so the list can go unchanged to
GNU parallel over hosts, a Slurm array or Kubernetes Jobs (see the README).
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
    out = subprocess.run([str(BINARY), "catalog"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def seeds_for(decoder):
    return range(SEEDS["main"] if decoder in MAIN_DECODERS else SEEDS["fix"])


def prefix(recipe, decoder, seed):
    return RESULTS / recipe / f"{decoder}-seed{seed}"


def runs(decoders):
    """(recipe, decoder, seed) in the order that makes partial results useful:
    the two decoders the question is about first, the fixes next, the blog's
    long recipe last."""
    ordered = [d for d in MAIN_DECODERS if d in decoders] + \
        [d for d in decoders if d not in MAIN_DECODERS]
    shipped = [("shipped", d, s) for d in ordered for s in seeds_for(d) if s > 0]
    return shipped + [("blog", d, 0) for d in BLOG_DECODERS]


def command(recipe, decoder, seed):
    return ["scripts/train-run.sh", recipe, decoder, str(seed),
            str(prefix(recipe, decoder, seed).relative_to(ROOT))]


def finished(recipe, decoder, seed):
    return Path(f"{prefix(recipe, decoder, seed)}.ckpt").exists()


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
    """The untrained, 200-step and trained log entries of one finished run."""
    if recipe == "shipped":
        base = ROOT / "weights" / decoder if seed == 0 else prefix(recipe, decoder, seed)
        first = read_log(Path(f"{base}.jsonl"))
        last = read_log(Path(f"{base}-continued.jsonl"))
        if not (first and last and (seed == 0 or finished(recipe, decoder, seed))):
            return None
    else:
        if not finished(recipe, decoder, seed):
            return None
        first = last = read_log(Path(f"{prefix(recipe, decoder, seed)}.jsonl"))
    at_200 = next((entry for entry in first if entry["step"] == 200), None)
    return {"untrained": first[0], "200 steps": at_200, "trained": last[-1]}


def spread(values):
    return {
        "mean": statistics.fmean(values),
        "sd": statistics.stdev(values) if len(values) > 1 else None,
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def summarise():
    decoders = decoder_names()
    summary = {"recipes": {}}
    for recipe in ("shipped", "blog"):
        table = {}
        for decoder in decoders:
            seeds = range(0, SEEDS["main"]) if recipe == "shipped" else [0]
            found = {seed: stages(recipe, decoder, seed) for seed in seeds}
            found = {seed: stage for seed, stage in found.items() if stage}
            if not found:
                continue
            per_stage = {}
            for stage in ("untrained", "200 steps", "trained"):
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
                "stages": per_stage,
            }
        summary["recipes"][recipe] = table
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "summary.json"
    path.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("jobs", help="print one shell command per run")
    run = sub.add_parser("run", help="run the unfinished jobs")
    run.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    sub.add_parser("summary", help="write results/sweep/summary.json")
    args = parser.parse_args()
    if args.action == "jobs":
        for run in runs(decoder_names()):
            print(" ".join(command(*run)))
    elif args.action == "run":
        if args.jobs < 1:
            parser.error("--jobs must be at least 1")
        run_all(args.jobs)
    else:
        summarise()


if __name__ == "__main__":
    main()
