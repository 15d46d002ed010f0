"""docs/tutorial.md ("Learning backprop") runs as written: its ```python blocks in order, in
one namespace, in a temporary directory; every block followed by a ```text block must print
exactly that text (the outputs the tutorial states). A block after the line
``<!-- not run: reason -->`` is skipped. Then the numbers the prose states are checked."""
import contextlib
import io
import os
import re
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)


def blocks(path):
    """``[(code, expected_output or None)]`` for the runnable python blocks of ``path``."""
    text = path.read_text()
    found = [(m.group(1), m.group(2), m.start()) for m in FENCE.finditer(text)]
    result = []
    for n, (lang, body, start) in enumerate(found):
        if lang != "python":
            continue
        before = text[:start].rstrip().splitlines()
        if before and before[-1].startswith("<!-- not run:"):
            continue
        expected = None
        if n + 1 < len(found) and found[n + 1][0] == "text":
            between = text[start:found[n + 1][2]]
            if between.count("```") == 2:  # nothing fenced in between
                expected = found[n + 1][1]
        result.append((body, expected))
    return result


def run(path, tmp_path):
    """Run the blocks; return (namespace, [(code, expected, printed)])."""
    namespace = {"__name__": "__tutorial__"}
    outputs = []
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for code, expected in blocks(path):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(compile(code, str(path), "exec"), namespace)
            outputs.append((code, expected, buffer.getvalue()))
    finally:
        os.chdir(cwd)
    return namespace, outputs


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    return run(TUTORIAL, tmp_path_factory.mktemp("tutorial"))


NUMBER = re.compile(r"[-+]?\d+\.?\d*(?:e[-+]?\d+)?")


def last_digit(text):
    """The value of one unit in the last digit of the number written as ``text``."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def same_output(printed, expected):
    """Equal text, and equal numbers up to one unit in the last digit shown: a number after
    training may round the other way on another CPU (another libm, FMA or not)."""
    if printed == expected:
        return True
    if NUMBER.sub("#", printed) != NUMBER.sub("#", expected):
        return False
    return all(abs(float(p) - float(e)) <= 1.001 * last_digit(e)
               for p, e in zip(NUMBER.findall(printed), NUMBER.findall(expected)))


def test_same_output_is_strict_enough():
    assert same_output("loss 0.0047", "loss 0.0048")
    assert not same_output("loss 0.0047", "loss 0.0049")
    assert same_output("5.6e-07 x", "5.7e-07 x") and not same_output("5.6e-07 x", "5.8e-07 x")
    assert not same_output("True", "False") and not same_output("1 2", "1 2 3")


def test_every_block_prints_what_the_tutorial_shows(tutorial):
    _, outputs = tutorial
    assert len(outputs) >= 15
    checked = 0
    for code, expected, printed in outputs:
        if expected is not None:
            assert same_output(printed, expected), \
                f"block\n{code}\nprinted\n{printed}\nexpected\n{expected}"
            checked += 1
    assert checked >= 13


def test_the_numbers_the_prose_states(tutorial):
    ns, _ = tutorial
    # section 5: "about 60,000 times smaller", relu "within a factor of 4"
    deep = ns["norms"]["deep sigmoid"]
    assert 4e4 < deep[-1] / deep[0] < 8e4
    relu = ns["norms"]["deep relu"]
    assert max(relu) / min(relu) < 4
    # section 6: too small "only halved ... eight times the loss at 20", right falls fast,
    # too large ends above its start
    curves = ns["curves"]
    assert 0.4 < curves[0.05][-1] / curves[0.05][0] < 0.6
    assert 7 < curves[0.05][-1] / curves[20.0][-1] < 9
    assert curves[20.0][-1] < 0.1 * curves[20.0][0]
    assert curves[100.0][-1] > curves[100.0][0]
    # section 7: the worst restart's loss "several times the best"
    assert ns["scores"].max() / ns["scores"].min() > 3


def test_pictures_are_made_by_the_script():
    text = TUTORIAL.read_text()
    pictures = re.findall(r"!\[[^\]]*\]\((img/[^)]+)\)", text)
    script = (TUTORIAL.parent.parent / "tools" / "tutorial_figures.py").read_text()
    assert len(pictures) == 5
    for picture in pictures:
        assert Path(picture).name in script
        assert (TUTORIAL.parent / picture).is_file()
