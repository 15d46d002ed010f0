"""pytest-benchmark form of the population benchmarks (``benchmarks/population.py``), at the
reduced sizes of ``population.quick`` (the full run: ``python -m benchmarks.population``).
fastnn's population against the one-by-one fit loop on the same networks; after timing,
one of the networks must equal that network trained the other way (bit for bit): a member of
the population trained alone by ``fit``, a network of the one-by-one loop trained as a member
of a population."""
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
    other = pop.make(c, c.restarts - 1)
    if runner == "population":
        other.fit(X, Y, **kwargs)
    else:  # the last network among others, as in the population runner
        train_together([pop.make(c, 0), other], X, Y, **kwargs)
    for mine, theirs in zip(nets[-1].weights + nets[-1].biases, other.weights + other.biases):
        np.testing.assert_array_equal(mine, theirs)
