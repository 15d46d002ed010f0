"""Parallel or serial, segment by segment: load from other processes measured as it happens.

A parallel region waits for its slowest thread. When another process holds a core, the thread
that shares it runs a fraction of the time, and every region waits for it: a 2-thread ``fit``
was measured 2.5-4x slower than on one thread beside one busy process (numba's OpenMP
threads spin after a region, then sleep, and are woken late). Nothing measured once, before
the work, can tell: the load comes and goes. (Waiting passively, ``OMP_WAIT_POLICY=PASSIVE``,
keeps 2 threads near 1 thread's speed under load but cost 30-40% on a quiet machine at
batch 10 here: every region then wakes a sleeping thread. The default spin stays.)

So the loop engine runs an epoch (or a ``predict``) as a run of *segments* of whole batches,
each a few milliseconds of work, and times each one. A ``Governor`` picks, for the next
segment, the plan whose samples per second were the higher: the parallel plan of the layers
or the serial one (every layer on the calling thread). It keeps trying the other plan now and
then, at intervals that double while the choice holds and never sooner than ``PACING`` times
the last trial's time, on a segment shortened to what the trial plan's measured rate makes
one usual segment's time (so a plan that measures 50x slower costs a few percent at most),
and at once after the choice flips.

None of this changes a result: both plans run the same block code in the same order of
summation, a segment's first batch computes its forward pass with the same kernels the fused
step would, and each segment continues the epoch's running cost where the previous one
stopped. Only who computes, and how fast, depends on the load.
"""
import time

SEGMENT_SECONDS = 4e-3
"""About how long a segment takes (estimated from its multiply-adds, not measured, so that
segment boundaries depend on the shapes only): long enough that the call into the compiled
loop (~10-20 us) costs under 1%, short enough to react to load within milliseconds."""

MULTIPLY_ADDS_PER_SECOND = 1.3e10
"""One core's rate in the fast kernels' tiles, multiply-adds per second (measured on the
project's 2-core AVX2 machine: 2e4 multiply-adds take about as long as a 1.5 us region):
sizes segments here and the parallel threshold in ``numba_engine.parallel_work``."""

PROBE_FIRST, PROBE_MOST = 4, 64
"""Segments run on the chosen plan before the other one is tried again: at first, and at
most (the interval doubles each time a trial confirms the choice)."""

PACING = 32
"""After a trial that confirmed the choice, the chosen plan runs at least this many times
the trial's time before the next trial: under load a trial of the parallel plan costs a few
scheduler time slices (36-64 ms for one batch measured here beside a busy process, whatever
its size), so trials then cost at most about 3% of the time."""


def segment_rows(batch_size, multiply_adds_per_sample, rows_at_least=1):
    """Rows per segment: whole batches, about ``SEGMENT_SECONDS`` of one core's work."""
    per_batch = max(batch_size * multiply_adds_per_sample / MULTIPLY_ADDS_PER_SECOND, 1e-9)
    batches = max(1, int(SEGMENT_SECONDS / per_batch))
    return max(batches * batch_size, rows_at_least)


class Governor:
    """Chooses the parallel or the serial plan for each segment from measured throughput."""

    def __init__(self):
        self.rate = {}  # plan (True: parallel) -> samples per second
        self.best = True
        self.wait = PROBE_FIRST
        self.since = 0
        self.hold = 0.0  # seconds the chosen plan still runs before the next trial

    def choose(self):
        """True for the parallel plan, False for the serial one."""
        if True not in self.rate:
            return True
        if False not in self.rate:
            return False
        return (not self.best) if self.since >= self.wait and self.hold <= 0 else self.best

    def trial_share(self, parallel):
        """For a trial of the plan last measured slower: its rate over the chosen plan's
        (how much of a usual segment to give it); else 1."""
        if len(self.rate) < 2 or parallel == self.best:
            return 1.0
        return min(1.0, self.rate[parallel] / self.rate[self.best])

    def record(self, parallel, rows, seconds):
        """A segment of ``rows`` samples took ``seconds`` on the plan ``parallel``."""
        rate = rows / max(seconds, 1e-9)
        trial = parallel != self.best or len(self.rate) < 2
        old = self.rate.get(parallel)
        # a trial's figure replaces an old one; the chosen plan's figures are averaged
        self.rate[parallel] = rate if (trial or old is None) else 0.5 * (old + rate)
        best = max(self.rate, key=self.rate.get)
        if trial:
            self.since = 0
            confirmed = best == self.best
            self.wait = min(2 * self.wait, PROBE_MOST) if confirmed else PROBE_FIRST
            self.hold = PACING * seconds if confirmed else 0.0
        else:
            self.since += 1
            self.hold -= seconds
        self.best = best


def run_segments(governor, rows, segment, call, unit=1):
    """``call(start, stop, parallel)`` over ``[0, rows)`` in segments of ``segment`` rows, each
    on the plan the governor chooses and timed for it. ``call`` returns False to stop early.
    A trial of the plan measured slower runs a shorter segment (whole ``unit``s, the batch
    size): its expected time is one usual segment's, so a trial costs little even when that
    plan runs 50x slower under load."""
    start = 0
    while start < rows:
        parallel = governor.choose()
        length = segment
        share = governor.trial_share(parallel)
        if share < 1:
            length = max(unit, int(segment * share) // unit * unit)
        stop = min(start + length, rows)
        tic = time.perf_counter()
        go_on = call(start, stop, parallel)
        governor.record(parallel, stop - start, time.perf_counter() - tic)
        if go_on is False:
            return
        start = stop
