"""``python -m fastnn.demo``: [784, 30, 10] on the shipped MNIST sample, both engines."""
import re

import pytest

from fastnn import demo

ROW = re.compile(r"^(numpy|numba)\s+(\d+\.\d\d)%\s+([\d,]+)\s+(\d+\.\d\d)\s+(\d+\.\d\d)$", re.M)


def test_demo_trains_both_engines_to_the_same_accuracy(capsys):
    demo.main(["--epochs", "1"])
    out = capsys.readouterr().out
    assert "MNIST sample shipped with fastnn: 5000 training and 1000 test digits" in out
    assert "1 epochs, float64" in out
    rows = {engine: values for engine, *values in ROW.findall(out)}
    assert list(rows) == ["numpy", "numba"]
    accuracy = {engine: float(values[0]) for engine, values in rows.items()}
    # same seed, data and arithmetic up to rounding: the engines classify the test digits alike
    assert accuracy["numba"] == accuracy["numpy"]
    assert accuracy["numba"] > 80  # one epoch of the book's network on 5,000 digits
    for _, rate, train, wall in rows.values():
        assert int(rate.replace(",", "")) > 0 and 0 < float(train) <= float(wall)
    ratio = float(re.search(r"loop engine / NumPy engine: (\d+\.\d)x samples/s", out).group(1))
    speeds = {engine: int(values[1].replace(",", "")) for engine, values in rows.items()}
    assert ratio == pytest.approx(speeds["numba"] / speeds["numpy"], abs=0.06)


def test_demo_refuses_zero_epochs(capsys):
    with pytest.raises(SystemExit) as info:
        demo.main(["--epochs", "0"])
    assert info.value.code == 2 and "--epochs must be at least 1" in capsys.readouterr().err
