"""Record the pinned trained-weight hashes of ``tests/test_architecture.py`` on this machine.

    python tools/record_pins.py [REV] [--print]

Unpacks the package of ``REV`` (default: the ``revision`` of the pins file, the baseline the
test compares with: the last commit of the population issue's kernels) with ``git archive``
into a temporary folder, trains every pinned configuration there (both engines, the loop
engine's fast and plain kernels, both dtypes) and adds the hashes to
``tests/data/pins_before_restructure.json`` under this machine's fingerprint.

Why per machine: the bits of a trained network depend on the CPU's instruction set, not only
on the code. numba compiles for the host CPU (vector width decides how a ``reassoc``
reduction is split), and NumPy picks its SIMD loops (``exp``, ``tanh``) and OpenBLAS its
kernels at run time. The old code, run on two machines with AVX2 and different CPU
features, gave different hashes for 18 of the 24 configurations; on one machine it is
reproducible to the bit. So "bit-identical to before" is checked against the old code on
the same kind of machine.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PINS = ROOT / "tests" / "data" / "pins_before_restructure.json"
sys.path.insert(0, str(ROOT / "tests"))

CHILD = r"""
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import fastnn
configs = json.loads(sys.argv[2])
out = {}
for index, c in enumerate(configs):
    for engine in ("numba", "numpy", "numba-plain"):
        for dtype in ("float64", "float32"):
            rng = np.random.default_rng(123)
            X, y = rng.standard_normal((90, 6)), rng.integers(0, 3, 90)
            net = fastnn.Network(c["sizes"], activation=c["activation"],
                                 output_activation=c["output_activation"], cost=c["cost"],
                                 dtype=dtype, seed=7 + index, engine=engine[:5])
            if engine == "numba-plain":
                net._engine.fast = False
            net.fit(X, y % c["sizes"][-1], epochs=3, batch_size=c["batch"],
                    learning_rate=c["lr"], optimizer=c["optimizer"], l2=c["l2"], l1=c["l1"])
            theta = np.concatenate([np.concatenate([w.ravel(), b])
                                    for w, b in zip(net.weights, net.biases)])
            out[f"{index}-{engine}-{dtype}"] = hashlib.sha256(
                np.ascontiguousarray(theta).tobytes()).hexdigest()
print(json.dumps(out))
"""


def old_code_hashes(rev, configs):
    """Hashes of every pinned configuration trained by the code of ``rev``, on this machine."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "fastnn"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / "cache"))
        out = subprocess.run([sys.executable, "-c", CHILD, tmp, json.dumps(configs)],
                             env=env, check=True, capture_output=True, text=True, cwd=tmp).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    rev = next((a for a in argv if not a.startswith("--")),
               json.loads(PINS.read_text())["revision"])
    from test_architecture import PIN_CONFIGS, machine_fingerprint
    hashes = old_code_hashes(rev, PIN_CONFIGS)
    if "--print" in argv:
        print(json.dumps(hashes, indent=1))
        return
    pins = json.loads(PINS.read_text())
    pins["machines"][machine_fingerprint()] = hashes
    PINS.write_text(json.dumps(pins, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(hashes)} hashes of {rev} for {machine_fingerprint()}")


if __name__ == "__main__":
    main()
