"""The lab's own reconstructions and test BCE of a weights file, from its CLI:
what the framework checks (scripts/check-*-export.py) compare against."""

import json
import subprocess
from pathlib import Path

import numpy as np


def lab_reconstructions(checkerlab, weights, out):
    """`checkerlab eval WEIGHTS --reconstructions`: the test BCE over the
    10,000 test digits, and the first test digits' reconstructions as
    float32 [n, 28, 28]. `out` is a folder for the file it writes."""
    recon = Path(out) / f"{Path(weights).stem}.recon.f32"
    evaluated = subprocess.run(
        [str(checkerlab), "eval", str(weights), "--reconstructions", str(recon)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(evaluated.stdout)["test_bce"], np.fromfile(recon, "<f4").reshape(-1, 28, 28)
