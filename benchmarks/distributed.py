"""Restarts on a 2-worker Dask LocalCluster against local threads, in one run (issue 13).

``python -m benchmarks.distributed [--quick]`` writes ``.benchmarks/distributed[-quick].json``
(``--out benchmarks/results`` to record) and prints a table. Measured, in one process, back to back:

* Dask's own cost: the round trip of one empty task (submit, run, result) and the throughput of
  many empty tasks submitted at once (tasks/s the scheduler sustains on this machine);
* the bytes a run moves: the scattered chunk-training function (the data travels in it, once),
  and per task the arguments sent and the result returned;
* the issue-12 cases by ``fastnn.best_of``: locally (threads, ``n_jobs=2``) and with
  ``client=`` a ``LocalCluster(n_workers=2, threads_per_worker=1)``; the cluster is started and
  the workers warmed (kernels loaded) before timing, as a long-lived cluster would be. The two
  results are checked equal (scores, best index, best weights) after timing.

* a halving sweep (``fastnn.sweep(..., schedule="halving")``, 9 candidates x 4 restarts of the
  spirals network), locally (threads) and with ``client=``, the results checked equal.

Cluster overhead = (cluster wall - local wall) / local wall; the issue's target is < 25%.
"""
import argparse
import json
import os
import pickle
import statistics
import time
from pathlib import Path

import numpy as np

import fastnn
from fastnn.datasets import make_spirals

CASES = {
    # key: (title, restarts, fit kwargs); issue 12's cases
    "xor": ("{} x XOR [2,2,1] sigmoid, {} epochs full-batch SGD", 1000,
            dict(epochs=2000, batch_size=4, learning_rate=3.0)),
    "spirals": ("{} x spirals [2,16,16,2] tanh softmax, {} epochs b32", 256,
                dict(epochs=200, batch_size=32, learning_rate=0.1)),
}
QUICK = {"xor": (100, 200), "spirals": (16, 20)}
"""--quick: (restarts, epochs) per case, same networks and data."""

SWEEP = dict(params={"learning_rate": [0.03, 0.1, 0.3], "l2": [0.0, 1.0, 5.0]}, restarts=4,
             epochs=200, batch_size=32, metric="accuracy", schedule="halving")
"""The sweep case (--quick: 20 epochs): 36 units, three rungs (to 22, 67 and 200 epochs)."""


def sweep_case(client, quick):
    """The halving sweep locally (threads) and on the cluster; equal results checked."""
    from fastnn import distributed as fd
    X, y = make_spirals(1000, seed=0)
    Xv, yv = make_spirals(500, seed=1)
    kwargs = dict(SWEEP, validation_data=(Xv, yv), epochs=20 if quick else SWEEP["epochs"])
    t = time.perf_counter()
    local = fastnn.sweep(make_spiral_net, X, y, **kwargs)
    local_s = time.perf_counter() - t
    t = time.perf_counter()
    remote = fastnn.sweep(make_spiral_net, X, y, client=fd.DaskRunner(client),
                          **kwargs)
    cluster_s = time.perf_counter() - t
    assert remote.table == local.table and remote.best_params == local.best_params
    np.testing.assert_array_equal(remote.best_network.parameters(), local.best_network.parameters())
    return {"title": f"halving sweep 9 x 4 spirals [2,16,16,2], {kwargs['epochs']} epochs b32",
            "units": len(local.table), "network_epochs": local.epochs_spent,
            "local_threads_s": local_s, "cluster_s": cluster_s, "overhead": cluster_s / local_s - 1,
            "network_epochs_per_s_local": local.epochs_spent / local_s,
            "network_epochs_per_s_cluster": local.epochs_spent / cluster_s}


def make_xor(seed):
    return fastnn.Network([2, 2, 1], activation="sigmoid", seed=seed)


def make_spiral_net(seed):
    return fastnn.Network([2, 16, 16, 2], activation="tanh", output_activation="softmax",
                          cost="log_likelihood", seed=seed)


def case_data(key):
    if key == "xor":
        return make_xor, np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([0, 1, 1, 0])
    X, y = make_spirals(1000, seed=0)
    return make_spiral_net, X, y


def dask_costs(client, n_tasks=400):
    """Round trip of one empty task (median of 30) and tasks/s of ``n_tasks`` at once."""
    trips = []
    for i in range(30):
        t = time.perf_counter()
        client.submit(int, i, pure=False).result()
        trips.append(time.perf_counter() - t)
    t = time.perf_counter()
    client.gather(client.map(int, range(n_tasks), pure=False))
    wall = time.perf_counter() - t
    return {"round_trip_s": statistics.median(trips), "tasks_per_s": n_tasks / wall}


def bytes_moved(make_network, X, y, kwargs):
    """Pickled sizes: the scattered chunk function (what best_of ships once), one task's
    arguments, and one chunk's result (its best network, every score and history)."""
    import cloudpickle

    from fastnn import distributed as fd
    seeds = fastnn.training.restarts.restart_seeds(0, 8)

    def one(i):
        net = make_network(seeds[i])
        history = net.fit(X, y, **{**kwargs, "epochs": 2})
        return net, net.evaluate(X, y)["loss"], history

    chunk = lambda indices: [one(i) for i in indices]  # noqa: E731  (as best_of builds it)
    result = fd._train_chunk(chunk, list(range(8)), False)
    return {"scattered_bytes": len(cloudpickle.dumps(chunk)),
            "task_args_bytes": len(pickle.dumps((list(range(8)), False))),
            "result_bytes_per_8_restarts_2_epochs": len(pickle.dumps(result)),
            "network_bytes": len(pickle.dumps(make_network(1)))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer restarts and epochs")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / ".benchmarks"),
                        help="folder for the JSON (default .benchmarks, untracked; "
                             "benchmarks/results holds the recorded ones)")
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    from fastnn import distributed as fd

    for dtype in ("float64", "float32"):
        fd.warm_up(dtype)
    report = {"quick": args.quick, "load_average_at_start": os.getloadavg(),
              "cpu_count": os.cpu_count(), "cases": {}}
    t = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as cluster, \
            Client(cluster) as client:
        report["cluster_start_s"] = time.perf_counter() - t
        t = time.perf_counter()
        fd.DaskRunner(client).prepare()
        report["worker_warm_up_s"] = time.perf_counter() - t
        report["dask"] = dask_costs(client)
        for key, (title, restarts, kwargs) in CASES.items():
            if args.quick:
                restarts, epochs = QUICK[key]
                kwargs = {**kwargs, "epochs": epochs}
            title = title.format(restarts, kwargs["epochs"])
            make_network, X, y = case_data(key)
            fastnn.best_of(2, make_network, X, y, n_jobs=2, **{**kwargs, "epochs": 1})  # warm
            t = time.perf_counter()
            local = fastnn.best_of(restarts, make_network, X, y, n_jobs=2, **kwargs)
            local_s = time.perf_counter() - t
            runner = fd.DaskRunner(client)
            t = time.perf_counter()
            remote = fastnn.best_of(restarts, make_network, X, y, client=runner, **kwargs)
            cluster_s = time.perf_counter() - t
            assert remote.scores == local.scores and remote.best_index == local.best_index
            np.testing.assert_array_equal(remote.network.parameters(), local.network.parameters())
            n_tasks = len(fd.chunk_sizes(restarts, runner.n_threads()))
            report["cases"][key] = {
                "title": title, "restarts": restarts, "epochs": kwargs["epochs"],
                "local_threads_s": local_s, "cluster_s": cluster_s, "tasks": n_tasks,
                "overhead": cluster_s / local_s - 1,
                "network_epochs_per_s_local": restarts * kwargs["epochs"] / local_s,
                "network_epochs_per_s_cluster": restarts * kwargs["epochs"] / cluster_s,
                **bytes_moved(make_network, X, y, kwargs)}
        report["sweep"] = sweep_case(client, args.quick)
    out = Path(args.out) / f"distributed{'-quick' if args.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report["load_average_at_end"] = os.getloadavg()
    out.write_text(json.dumps(report, indent=1))
    d = report["dask"]
    print(f"cluster start {report['cluster_start_s']:.1f} s, worker warm-up "
          f"{report['worker_warm_up_s']:.1f} s; empty task round trip "
          f"{d['round_trip_s'] * 1e3:.1f} ms, "
          f"{d['tasks_per_s']:.0f} tasks/s")
    for r in report["cases"].values():
        print(f"{r['title']}: local threads {r['local_threads_s']:.2f} s, 2-worker cluster "
              f"{r['cluster_s']:.2f} s in {r['tasks']} tasks: "
              f"overhead {100 * r['overhead']:+.0f}%; "
              f"scattered {r['scattered_bytes']} B, per task {r['task_args_bytes']} B out")
    r = report["sweep"]
    print(f"{r['title']}: local threads {r['local_threads_s']:.2f} s, 2-worker cluster "
          f"{r['cluster_s']:.2f} s: overhead {100 * r['overhead']:+.0f}% "
          f"({r['network_epochs']} network-epochs)")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
