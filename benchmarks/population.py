"""Population benchmarks (issue 23): many networks trained at once, fastnn against PyTorch's
strongest ensembles, every runner in a fresh process of its own.

    python -m benchmarks.population                       # the issue's four targets, f64 and f32
    python -m benchmarks.population --quick               # a smoke run at reduced sizes
    python -m benchmarks.population --cases spirals xor --dtypes float64 --repeats 3
    python -m benchmarks.population --out benchmarks/results   # to record (default .benchmarks/)

Every (workload, dtype, runner) runs in a new Python process started with ``taskset`` on the
first ``--threads`` cores (default 2), every thread pool limited to that many threads
(``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``, and
``torch.set_num_threads``): a thread pool outlives the call that started it, and a PyTorch
ensemble run in a process where numba's threads had run was measured 18 s instead of 1.1 s.
Inside its process a runner does the whole workload once untimed (compilation, first touch of
every buffer), then ``--repeats`` times timed; the best time counts. The machine (CPU model,
ISA flags, cores, library versions, commit) and the GEMM ceiling of the same cores
(``benchmarks.batch_sweep``) are recorded in the JSON and printed.

Workloads (``CASES``), the same data, batch size, learning rate(s) and epochs for every runner:

* ``spirals``: 256 x [2,16,16,2] on 1,000 two-arm spiral points (``make_spirals(1000,
  seed=0)``), tanh, softmax, log-likelihood, plain SGD, batch 32, lr 0.1, 20 epochs.
* ``xor``: 1,000 x XOR [2,2,1], sigmoid, quadratic cost, SGD lr 3.0, 2,000 epochs full batch.
* ``regression``: 64 x [20,64,64,1] tanh (identity output), quadratic cost, Adam lr 1e-3,
  batch 64, 20 epochs, on a deterministic synthetic regression set (``regression_data``,
  2,000 rows).
* ``sweep``: ``fastnn.sweep`` of 8 learning rates x 32 restarts of the spirals network,
  ``schedule="halving"`` (successive halving: every candidate 7 epochs, the best third 20),
  against PyTorch training the same 256 networks for the full 20 epochs, no halving.

Runners:

* ``fastnn``: the public call a user makes, timed whole: ``fastnn.best_of(R, make_network,
  X, y, ...)`` (builds the networks, trains them as a population, scores them) or
  ``fastnn.sweep(...)``. Each network shuffles with its own generator.
* ``torch-bmm``: every layer's parameters stacked ``[R, in, out]``, one ``torch.baddbmm`` plus
  the activation per layer per mini-batch, autograd (``torch.autograd.grad``) on the sum of the
  networks' batch-mean costs, SGD as ``p -= lr * g`` on the stacked tensors (one learning rate
  per network for the sweep), Adam as ``torch.optim.Adam`` over the stacked tensors (Adam is
  elementwise, so this is each network's own Adam; ``fused=True`` where the build has it).
* ``torch-vmap``: ``torch.func.vmap(grad(loss))`` over ``functional_call`` of one
  ``nn.Sequential`` with the stacked parameters, the same updates.

Both PyTorch runners give every network its own shuffled batches (a per-network permutation
each epoch, ``argsort`` of uniform draws, batches gathered by index), start from the same
initial parameters and draw the same permutations, so they train the same networks
(``benchmarks/test_population.py`` checks they agree); their timed region holds the
initialisation, the training and a final loss of every network on the training set (what
``best_of`` scores). The faster of the two is "torch" in the ratio ``torch s / fastnn s``.
samples/s = network-epochs trained x samples / wall (the halving sweep trains fewer
network-epochs than its grid's full budget; the ratio is of wall times).
"""
import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

PopCase = namedtuple("PopCase", ["key", "title", "sizes", "activation", "output", "cost",
                                 "restarts", "epochs", "batch", "learning_rate", "optimizer",
                                 "data", "grid", "targets"])
"""One workload. ``restarts`` networks (per candidate when ``grid``, a tuple of learning rates
swept, is set); ``targets``: ``{"torch": least torch s / fastnn s, "wall": most fastnn s}``."""

SWEEP_RATES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)

CASES = [
    PopCase("spirals", "256 x spirals [2,16,16,2] tanh softmax, SGD b32 lr 0.1, 20 epochs",
            [2, 16, 16, 2], "tanh", "softmax", "log_likelihood", 256, 20, 32, 0.1, "sgd",
            "spirals", None, {"torch": 5.0}),
    PopCase("xor", "1000 x XOR [2,2,1] sigmoid, 2000 epochs full-batch SGD lr 3", [2, 2, 1],
            "sigmoid", "sigmoid", "quadratic", 1000, 2000, 4, 3.0, "sgd", "xor", None,
            {"torch": 5.0, "wall": 0.5}),
    PopCase("regression", "64 x [20,64,64,1] tanh regression, Adam b64 lr 1e-3, 20 epochs",
            [20, 64, 64, 1], "tanh", "identity", "quadratic", 64, 20, 64, 1e-3, "adam",
            "regression", None, {"torch": 3.0}),
    PopCase("sweep", "sweep 8 lr x 32 restarts, spirals, halving (torch: all 256, no halving)",
            [2, 16, 16, 2], "tanh", "softmax", "log_likelihood", 32, 20, 32, None, "sgd",
            "spirals", SWEEP_RATES, {"torch": 5.0}),
]
CASE_KEYS = [c.key for c in CASES]
RUNNERS = ("fastnn", "torch-bmm", "torch-vmap")


def quick(c):
    """The case at a size a smoke run or a test can afford (same shapes, fewer networks and
    epochs)."""
    restarts = 4 if c.grid else min(c.restarts, 16)
    return c._replace(restarts=restarts, epochs=min(c.epochs, 20 if c.key == "xor" else 4))


def n_networks(c):
    return c.restarts * (len(c.grid) if c.grid else 1)


def regression_data(n_samples=2000, n_features=20, seed=0):
    """A deterministic synthetic regression set: standard normal features, the target a
    random two-layer tanh function of them plus a product term and Gaussian noise (sd 0.05)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    W = rng.standard_normal((n_features, 8)) / np.sqrt(n_features)
    v = rng.standard_normal(8) / np.sqrt(8)
    y = np.tanh(X @ W) @ v + 0.2 * np.sin(X[:, 0] * X[:, 1]) \
        + 0.05 * rng.standard_normal(n_samples)
    return X, y.reshape(-1, 1)


def data(c, dtype="float64"):
    """``(X, labels)``: integer labels for the classifiers, the ``(n, 1)`` targets for the
    regression."""
    import fastnn.datasets
    if c.data == "xor":
        X, labels = fastnn.datasets.make_xor()
    elif c.data == "spirals":
        X, labels = fastnn.datasets.make_spirals(1000, seed=0)
    else:
        X, labels = regression_data()
        labels = labels.astype(dtype)
    return X.astype(dtype), labels


def targets(c, labels, dtype="float64"):
    """What fastnn trains on: one column for a single output (0/1 or the regression target),
    else the integer labels."""
    return labels.reshape(-1, 1).astype(dtype) if c.sizes[-1] == 1 else labels


def make(c, seed, dtype="float64"):
    import fastnn
    return fastnn.Network(c.sizes, activation=c.activation, output_activation=c.output,
                          cost=c.cost, dtype=dtype, seed=seed)


def fit_kwargs(c):
    """``fit`` arguments of a non-sweep case (the same for every network)."""
    return dict(epochs=c.epochs, batch_size=c.batch, learning_rate=c.learning_rate,
                optimizer=c.optimizer)


# --- what runs inside one fresh process -------------------------------------------------------

def _timed(call, repeats):
    """Run ``call`` once untimed (warm-up), then ``repeats`` times timed: (warm-up s, times,
    the last call's result)."""
    tic = time.perf_counter()
    call()
    warm = time.perf_counter() - tic
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - tic)
    return warm, times, out


def _losses_summary(losses):
    losses = np.asarray([s for s in losses if s is not None], float)
    finite = losses[np.isfinite(losses)]
    return {"best_loss": float(finite.min()) if finite.size else None,
            "median_loss": float(np.median(finite)) if finite.size else None,
            "non_finite": int(losses.size - finite.size)}


def run_fastnn(c, dtype, repeats):
    import fastnn
    X, labels = data(c, dtype)
    Y = targets(c, labels, dtype)

    def network(seed):
        return make(c, seed, dtype)

    if c.grid:
        def call():
            return fastnn.sweep(network, X, Y, {"learning_rate": list(c.grid)},
                                restarts=c.restarts, epochs=c.epochs, batch_size=c.batch,
                                schedule="halving")
    else:
        def call():
            return fastnn.best_of(c.restarts, network, X, Y, **fit_kwargs(c))

    warm, times, out = _timed(call, repeats)
    if c.grid:
        extra = dict(_losses_summary([row["score"] for row in out.table]),
                     network_epochs=out.epochs_spent, best_candidate_loss=out.best_score,
                     best_params=out.best_params)
    else:
        extra = dict(_losses_summary(out.scores), network_epochs=c.restarts * c.epochs)
    import numba
    return dict(warm_up=warm, times=times, threads=fastnn.get_num_threads(),
                threading_layer=numba.threading_layer(), **extra)


class TorchEnsemble:
    """The stacked ensemble of case ``c`` (``form`` "bmm" or "vmap"): ``train()`` is the timed
    work (initialise, train, score every network); both forms draw the same initial parameters
    and permutations from ``seed``."""

    def __init__(self, c, dtype, form, seed=0):
        import torch
        self.torch, self.c, self.form, self.seed = torch, c, form, seed
        self.dtype = getattr(torch, dtype)
        X, labels = data(c, dtype)
        self.X = torch.from_numpy(X)
        self.classify = c.cost == "log_likelihood"
        self.y = torch.from_numpy(labels if self.classify else targets(c, labels, dtype))
        self.R = n_networks(c)
        rates = np.repeat(np.asarray(c.grid, float), c.restarts) if c.grid else None
        self.rates = None if rates is None else torch.from_numpy(rates).to(self.dtype)
        self.act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid}[c.activation]
        self.out = {"sigmoid": torch.sigmoid, "identity": lambda z: z,
                    "softmax": lambda z: z}[c.output]  # softmax: inside cross_entropy
        if form == "vmap":
            from torch.func import functional_call, grad, vmap
            act = {"tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[c.activation]
            layers = []
            for l in range(1, len(c.sizes)):
                layers.append(torch.nn.Linear(c.sizes[l - 1], c.sizes[l]))
                if l < len(c.sizes) - 1:
                    layers.append(act())
                elif c.output == "sigmoid":
                    layers.append(torch.nn.Sigmoid())
            base = torch.nn.Sequential(*layers).to(self.dtype).to("meta")
            self.names = [name for name, _ in base.named_parameters()]
            F = torch.nn.functional

            def loss(params, xb, yb):
                out = functional_call(base, params, (xb,))
                if self.classify:
                    return F.cross_entropy(out, yb)
                return 0.5 * ((out - yb) ** 2).sum(dim=1).mean()

            self.loss_one = loss
            self.grads = {shared: vmap(grad(loss), in_dims=(0, None, None) if shared else 0)
                          for shared in (False, True)}
            self.losses = vmap(loss, in_dims=(0, None, None))

    def initial(self):
        """Stacked ``[R, in, out]`` weights (normal, sd 1/sqrt(in)) and ``[R, 1, out]`` biases."""
        torch, c = self.torch, self.c
        g = torch.Generator().manual_seed(self.seed)
        params = []
        for a, b in zip(c.sizes[:-1], c.sizes[1:]):
            params.append(torch.randn(self.R, a, b, generator=g, dtype=self.dtype) / a ** 0.5)
            params.append(torch.randn(self.R, 1, b, generator=g, dtype=self.dtype))
        return params

    def forward_bmm(self, params, xb):
        a = xb
        last = len(params) // 2 - 1
        for l in range(last + 1):
            z = self.torch.baddbmm(params[2 * l + 1], a, params[2 * l])
            a = self.act(z) if l < last else self.out(z)
        return a

    def loss_bmm(self, params, xb, yb):
        """Sum over networks of each one's batch-mean cost (so every network's gradient is its
        own)."""
        out = self.forward_bmm(params, xb)
        B = xb.shape[1]
        if self.classify:
            return self.torch.nn.functional.cross_entropy(
                out.reshape(-1, out.shape[-1]), yb.reshape(-1), reduction="sum") / B
        return 0.5 * ((out - yb) ** 2).sum() / B

    def train(self):
        torch, c = self.torch, self.c
        R, n = self.R, self.X.shape[0]
        stacked = self.initial()
        if self.form == "bmm":
            params = [p.requires_grad_() for p in stacked]
        else:  # nn.Linear's layout: weight [R, out, in], bias [R, out]
            params = {}
            for name, p in zip(self.names, stacked):
                p = p.transpose(1, 2) if name.endswith("weight") else p.squeeze(1)
                params[name] = p.contiguous().requires_grad_()
        tensors = params if self.form == "bmm" else list(params.values())
        adam = None
        if c.optimizer == "adam":
            try:
                adam = torch.optim.Adam(tensors, lr=c.learning_rate, fused=True)
                self.adam_kind = "fused"
            except (RuntimeError, TypeError, ValueError):
                adam = torch.optim.Adam(tensors, lr=c.learning_rate, foreach=True)
                self.adam_kind = "foreach"
        rates = None if self.rates is None else \
            [self.rates.view(-1, *[1] * (p.dim() - 1)) for p in tensors]
        g = torch.Generator().manual_seed(self.seed + 1)
        full = c.batch >= n
        for _ in range(c.epochs):
            if full:
                batches = [None]
            else:
                order = torch.argsort(torch.rand(R, n, generator=g, dtype=torch.float64), dim=1)
                batches = [order[:, s:s + c.batch] for s in range(0, n, c.batch)]
            for idx in batches:
                if self.form == "bmm":
                    if idx is None:
                        xb = self.X.expand(R, *self.X.shape)
                        yb = self.y.expand(R, *self.y.shape)
                    else:
                        xb, yb = self.X[idx], self.y[idx]
                    loss = self.loss_bmm(params, xb, yb)
                    grads = torch.autograd.grad(loss, params)
                else:
                    if idx is None:
                        out = self.grads[True](params, self.X, self.y)
                    else:
                        out = self.grads[False](params, self.X[idx], self.y[idx])
                    grads = [out[name] for name in self.names]
                with torch.no_grad():
                    if adam is not None:
                        for p, gr in zip(tensors, grads):
                            p.grad = gr
                        adam.step()
                    elif rates is None:
                        torch._foreach_add_(tensors, list(grads), alpha=-c.learning_rate)
                    else:
                        for p, gr, r in zip(tensors, grads, rates):
                            p.addcmul_(r, gr, value=-1.0)
        with torch.no_grad():  # every network's loss on the training set (best_of's score)
            if self.form == "bmm":
                out = self.forward_bmm(params, self.X.expand(R, *self.X.shape))
                if self.classify:
                    losses = torch.nn.functional.cross_entropy(
                        out.transpose(1, 2), self.y.expand(R, n), reduction="none").mean(1)
                else:
                    losses = 0.5 * ((out - self.y) ** 2).sum(2).mean(1)
            else:
                losses = self.losses(params, self.X, self.y)
        self.params = params
        return losses.numpy()


def run_torch(c, dtype, repeats, form):
    import torch
    ensemble = TorchEnsemble(c, dtype, form)
    warm, times, losses = _timed(ensemble.train, repeats)
    return dict(warm_up=warm, times=times, threads=torch.get_num_threads(),
                network_epochs=n_networks(c) * c.epochs,
                adam=getattr(ensemble, "adam_kind", None), **_losses_summary(losses))


def _child(spec):
    c = next(x for x in CASES if x.key == spec["case"])
    c = quick(c) if spec["quick"] else c
    if spec["runner"] == "fastnn":
        out = run_fastnn(c, spec["dtype"], spec["repeats"])
    else:
        import torch
        torch.set_num_threads(spec["threads"])
        out = run_torch(c, spec["dtype"], spec["repeats"], spec["runner"].split("-")[1])
    print(json.dumps(out))


# --- the parent: one process per runner --------------------------------------------------------

def cores(threads):
    return ",".join(str(i) for i in range(threads))


def busy_seconds():
    """CPU seconds every process of the machine has run (user, nice, system, irq, softirq,
    steal; from ``/proc/stat``), or None where there is none."""
    try:
        with open("/proc/stat") as file:
            fields = [int(x) for x in file.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run_child(spec, threads):
    """Run one runner in a fresh process pinned to cores 0..threads-1; its JSON result, with
    ``others_cpu``: the share of the machine's cores that other processes used while it ran
    (0 on a quiet machine; 0.5 on 2 cores is one core taken from it)."""
    import resource

    from .batch_sweep import thread_env
    command = ["taskset", "-c", cores(threads), sys.executable, "-m", "benchmarks.population",
               "--child", json.dumps(spec)]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, tic = busy_seconds(), time.perf_counter()
    done = subprocess.run(command, env=thread_env(threads), cwd=ROOT, capture_output=True,
                          text=True)
    wall = time.perf_counter() - tic
    after, usage_after = busy_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{spec}: {done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if busy is not None:
        own = (usage_after.ru_utime - usage.ru_utime) + (usage_after.ru_stime - usage.ru_stime)
        result["others_cpu"] = max(0.0, (after - busy - own) / (wall * (os.cpu_count() or 1)))
    return result


def _version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine(threads):
    """What the figures were measured on."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    try:
        import llvmlite.binding as llvm
        llvm_cpu = llvm.get_host_cpu_name()
    except Exception:  # noqa: BLE001 - only a label
        llvm_cpu = None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                    cwd=ROOT, capture_output=True, text=True).stdout.strip())
    except OSError:
        commit, dirty = None, None
    return dict(cpu=model, llvm_cpu=llvm_cpu,
                isa=sorted(f for f in flags if f in ("avx", "avx2", "fma") or
                           f.startswith("avx512")),
                cores=os.cpu_count(), pinned_cores=cores(threads), threads=threads,
                python=platform.python_version(), numpy=_version("numpy"),
                numba=_version("numba"), llvmlite=_version("llvmlite"), torch=_version("torch"),
                platform=platform.platform(), commit=commit, dirty=dirty)


def load():
    with open("/proc/loadavg") as file:
        return [float(x) for x in file.read().split()[:3]]


def ceilings(dtypes, threads, libraries):
    """``{dtype: {library: GFLOP/s}}`` of 2048-square products on the same cores
    (``benchmarks.batch_sweep``'s, each in a fresh process)."""
    from .batch_sweep import run_child as sweep_child
    return {dtype: {lib: sweep_child(dict(library=lib, dtype=dtype, threads=threads), threads)
                    for lib in libraries} for dtype in dtypes}


def available(runners):
    runners = list(runners)
    if _version("torch") is None:
        print("PyTorch is not installed: its runners are skipped", file=sys.stderr)
        runners = [r for r in runners if not r.startswith("torch")]
    return runners


def verdict(row, c):
    """Ratio to the faster PyTorch form and whether the case's targets are met."""
    fast = row.get("fastnn", {}).get("best")
    torch_times = {r: row[r]["best"] for r in ("torch-bmm", "torch-vmap") if r in row}
    out = {}
    if fast is None:
        return out
    if torch_times:
        peer = min(torch_times, key=torch_times.get)
        out.update(torch_runner=peer, ratio=torch_times[peer] / fast)
    met = []
    if "torch" in c.targets and "ratio" in out:
        met.append(out["ratio"] >= c.targets["torch"])
    if "wall" in c.targets:
        met.append(fast <= c.targets["wall"])
    out["met"] = all(met) if met else None
    return out


def target_text(c):
    parts = []
    if "torch" in c.targets:
        parts.append(f">={c.targets['torch']:g}x")
    if "wall" in c.targets:
        parts.append(f"<={c.targets['wall']:g}s")
    return " ".join(parts)


def print_table(report, runners):
    head = f"{'workload':<11}{'dtype':<8}" + "".join(f"{r + ' s':>13}" for r in runners) \
        + f"{'ratio':>8}  {'target':<13}{'':<8}{'fastnn Msamples/s':>18}{'torch Msamples/s':>17}" \
        + f"{'others CPU':>12}"
    print(head)
    for key, case in report["cases"].items():
        c = next(x for x in CASES if x.key == key)
        for dtype, row in case["dtypes"].items():
            line = f"{key:<11}{dtype:<8}"
            for r in runners:
                line += f"{row[r]['best']:13.3f}" if r in row else f"{'-':>13}"
            v = row.get("verdict", {})
            line += f"{v['ratio']:7.2f}x" if "ratio" in v else f"{'-':>8}"
            line += f"  {target_text(c):<13}"
            line += f"{'' if v.get('met') is None else 'met' if v['met'] else 'NOT met':<8}"
            line += f"{row['fastnn']['samples_per_s'] / 1e6:18.2f}" if "fastnn" in row \
                else f"{'-':>18}"
            peer = v.get("torch_runner")
            line += f"{row[peer]['samples_per_s'] / 1e6:17.2f}" if peer else f"{'-':>17}"
            others = [row[r]["others_cpu"] for r in runners if "others_cpu" in row.get(r, {})]
            line += f"{100 * max(others):11.0f}%" if others else f"{'-':>12}"
            print(line)
    print("others CPU: the largest share of the cores other processes used during one of the "
          "row's runs (0% = quiet)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--quick", action="store_true", help="reduced sizes (a smoke run)")
    p.add_argument("--cases", nargs="*", default=CASE_KEYS, choices=CASE_KEYS)
    p.add_argument("--runners", nargs="*", default=list(RUNNERS), choices=RUNNERS)
    p.add_argument("--dtypes", nargs="*", default=["float64", "float32"],
                   choices=["float64", "float32"])
    p.add_argument("--repeats", type=int, default=3, help="timed runs per runner (best counts)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-ceiling", action="store_true", help="skip the GEMM ceiling")
    p.add_argument("--out", default=str(ROOT / ".benchmarks"),
                   help="folder for the JSON (default .benchmarks, untracked; "
                        "benchmarks/results holds the recorded ones)")
    args = p.parse_args(argv)
    if args.child:
        return _child(json.loads(args.child))
    if args.repeats < 2:
        p.error("--repeats must be at least 2")
    runners = available(args.runners)
    info = machine(args.threads)
    print(f"machine: {info['cpu']} ({info['llvm_cpu']}), {info['cores']} cores, ISA "
          f"{' '.join(info['isa'])}; pinned to cores {info['pinned_cores']}, "
          f"{args.threads} threads per runner; numba {info['numba']}, numpy {info['numpy']}, "
          f"torch {info['torch']}; commit {info['commit'][:10] if info['commit'] else '?'}"
          f"{' (dirty)' if info['dirty'] else ''}", flush=True)
    report = dict(machine=info, quick=args.quick, repeats=args.repeats,
                  started=time.strftime("%Y-%m-%d %H:%M:%S"), load_before=load(), cases={})
    if not args.no_ceiling:
        libraries = ["numpy"] + (["torch"] if _version("torch") else [])
        report["gemm_ceiling_gflops"] = ceilings(args.dtypes, args.threads, libraries)
        print("GEMM ceiling (GFLOP/s, 2048^3, same cores): " + "; ".join(
            f"{d} " + ", ".join(f"{lib} {g:.0f}" for lib, g in figures.items())
            for d, figures in report["gemm_ceiling_gflops"].items()), flush=True)
    out = Path(args.out) / ("population-quick.json" if args.quick else "population.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    for c in CASES:
        if c.key not in args.cases:
            continue
        c = quick(c) if args.quick else c
        X, _ = data(c)
        case = dict(title=c.title, networks=n_networks(c), epochs=c.epochs, batch=c.batch,
                    learning_rate=c.learning_rate, grid=c.grid, optimizer=c.optimizer,
                    samples=len(X), targets=c.targets, dtypes={})
        for dtype in args.dtypes:
            row = {}
            for runner in runners:
                spec = dict(runner=runner, case=c.key, dtype=dtype, repeats=args.repeats,
                            threads=args.threads, quick=args.quick)
                before = load()
                result = run_child(spec, args.threads)
                result["load_before"] = before
                result["best"] = min(result["times"])
                result["samples_per_s"] = result["network_epochs"] * len(X) / result["best"]
                row[runner] = result
                print(f"{c.key:<11}{dtype:<8}{runner:<11}{result['best']:9.3f} s best of "
                      f"{len(result['times'])} (warm-up {result['warm_up']:.2f} s)  "
                      f"{result['samples_per_s'] / 1e6:8.2f} Msamples/s  best loss "
                      f"{result['best_loss']:.4g}, median {result['median_loss']:.4g}"
                      f"  load {before[0]:.2f}, others' CPU "
                      f"{100 * result.get('others_cpu', float('nan')):.0f}%", flush=True)
            row["verdict"] = verdict(row, c)
            case["dtypes"][dtype] = row
            report["cases"][c.key] = case
            out.write_text(json.dumps(report, indent=1))  # what is done survives an interruption
    report["load_after"] = load()
    out.write_text(json.dumps(report, indent=1))
    print()
    print_table(report, runners)
    print(f"load (1, 5, 15 min) before {report['load_before']}, after {report['load_after']}")
    print("->", out)
    return report


if __name__ == "__main__":
    main()
