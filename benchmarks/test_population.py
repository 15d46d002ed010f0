"""pytest-benchmark form of the population benchmarks (``benchmarks/population.py``), at the
reduced sizes of ``population.quick`` (the full run, every runner in a fresh process:
``python -m benchmarks.population``). fastnn's population against the one-by-one fit loop on
the same networks; after timing, one of the networks must equal that network trained the
other way (bit for bit): a member of the population trained alone by ``fit``, a network of
the one-by-one loop trained as a member of a population. Then the PyTorch peers: the
stacked-``baddbmm`` and the ``vmap`` ensembles must train the same networks (same losses),
and the command line must run end to end.

    pytest benchmarks/test_population.py --benchmark-only
"""
import json

import numpy as np
import pytest

from benchmarks import population as pop
from fastnn.training.population import train_together

CASES = [pop.quick(c) for c in pop.CASES if not c.grid]
TORCH_CASES = [pop.quick(c) for c in pop.CASES]


@pytest.mark.parametrize("runner", ["population", "one-by-one"])
@pytest.mark.parametrize("c", CASES, ids=[c.key for c in CASES])
def test_population_case(benchmark, c, runner):
    X, labels = pop.data(c)
    Y = pop.targets(c, labels)
    kwargs = pop.fit_kwargs(c)
    train_together([pop.make(c, 0)], X, Y, **dict(kwargs, epochs=1))  # compile outside timing
    benchmark.group = c.title
    benchmark.extra_info.update(restarts=c.restarts, epochs=c.epochs, samples=len(X))

    def run():
        nets = [pop.make(c, s) for s in range(c.restarts)]
        if runner == "population":
            train_together(nets, X, Y, **kwargs)
        else:
            for net in nets:
                net.fit(X, Y, **kwargs)
        return nets

    nets = benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    other = pop.make(c, c.restarts - 1)
    if runner == "population":
        other.fit(X, Y, **kwargs)
    else:  # the last network among others, as in the population runner
        train_together([pop.make(c, 0), other], X, Y, **kwargs)
    for mine, theirs in zip(nets[-1].weights + nets[-1].biases, other.weights + other.biases):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("c", TORCH_CASES, ids=[c.key for c in TORCH_CASES])
def test_torch_forms_agree(c):
    """The two PyTorch ensembles start from the same parameters and draw the same batches:
    they must end with the same losses, and training must have lowered them."""
    pytest.importorskip("torch")
    bmm = pop.TorchEnsemble(c, "float64", "bmm").train()
    vmap = pop.TorchEnsemble(c, "float64", "vmap").train()
    np.testing.assert_allclose(bmm, vmap, rtol=1e-9, atol=1e-12)
    assert bmm.shape == (pop.n_networks(c),) and np.isfinite(bmm).all()
    untrained = pop.TorchEnsemble(c._replace(epochs=0), "float64", "bmm").train()
    assert np.median(bmm) < np.median(untrained)


def test_command_line(tmp_path):
    """One case end to end: the children run, the JSON holds the machine and every runner."""
    runners = [r for r in pop.RUNNERS if not r.startswith("torch") or pop._version("torch")]
    pop.main(["--quick", "--cases", "xor", "--dtypes", "float64", "--repeats", "2",
              "--no-ceiling", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "population-quick.json").read_text())
    assert report["machine"]["cores"] >= 1 and "isa" in report["machine"]
    row = report["cases"]["xor"]["dtypes"]["float64"]
    assert set(runners) <= set(row)
    assert all(len(row[r]["times"]) == 2 for r in runners)
