"""pytest-benchmark form of the population benchmarks (``benchmarks/population.py``), at the
reduced sizes of ``population.quick`` (the full run: ``python -m benchmarks.population``).
fastnn's population against the one-by-one fit loop on the same networks; after timing,
one network of the population must equal that network trained alone (bit for bit)."""
import numpy as np
import pytest

from benchmarks import population as pop
from fastnn.training.population import train_together

CASES = [pop.quick(c) for c in pop.CASES]


@pytest.mark.parametrize("runner", ["population", "one-by-one"])
@pytest.mark.parametrize("c", CASES, ids=[c.key for c in CASES])
def test_population_case(benchmark, c, runner):
    X, labels = pop.data(c)
    Y = pop.targets(c, labels)
    kwargs = dict(epochs=c.epochs, batch_size=c.batch, learning_rate=c.learning_rate)
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
    alone = pop.make(c, c.restarts - 1)
    alone.fit(X, Y, **kwargs)
    np.testing.assert_array_equal(nets[-1]._theta, alone._theta)
