"""Every ```python block of README.md and docs/*.md runs, as a reader would run it.

The blocks of one page run in order in one shared namespace (a page's later blocks continue
its earlier ones), in a fresh temporary folder as the working directory (files a block writes
land there). A block whose fence is preceded by the line ``<!-- not run: <reason> -->`` is
skipped; the reason is required and is shown on the page's source. Numbers a page states are
checked by ``assert`` lines in its blocks; figures that depend on the CPU say so in the text
and are not asserted.
"""
import re
import textwrap
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # the plotting blocks write files; no display

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
NOT_RUN = re.compile(r"^\s*<!--\s*not run:\s*(?P<reason>.*?)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")


def code_blocks(text):
    """The fenced code blocks of a Markdown text: a list of ``(line, language, code,
    not_run_reason)``, ``line`` the 1-based line of the opening fence, ``code`` dedented by
    the fence's indentation, ``not_run_reason`` the reason of a ``<!-- not run: ... -->``
    line right before the fence (None when there is none)."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, lang = match["indent"], match["fence"], match["lang"]
        previous = next((lines[p] for p in range(i - 1, -1, -1) if lines[p].strip()), "")
        marker = NOT_RUN.match(previous)
        reason = marker["reason"] if marker else None
        if marker and not reason:
            raise ValueError(f"line {i}: a `not run` marker without a reason")
        body, j = [], i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        if j == len(lines):
            raise ValueError(f"line {i + 1}: a code fence that is never closed")
        blocks.append((i + 1, lang.lower(), textwrap.dedent("\n".join(body)) + "\n", reason))
        i = j + 1
    return blocks


def run_page(path, namespace=None):
    """Runs the page's python blocks in order in one namespace; returns (ran, skipped)."""
    namespace = {"__name__": "__docs__"} if namespace is None else namespace
    ran = skipped = 0
    for line, lang, code, reason in code_blocks(Path(path).read_text(encoding="utf-8")):
        if lang not in ("python", "py"):
            continue
        if reason is not None:
            skipped += 1
            continue
        try:
            exec(compile(code, f"{Path(path).name}:{line}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{Path(path).name}, the python block at line {line} fails: "
                                 f"{type(error).__name__}: {error}\n{code}") from error
        ran += 1
    return ran, skipped


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_code_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTNN_DATA", str(ROOT.parent / "shared" / "data"))
    ran, skipped = run_page(page)
    blocks = [b for b in code_blocks(page.read_text(encoding="utf-8")) if b[1] == "python"]
    assert ran + skipped == len(blocks)


def test_every_page_is_in_the_site():
    """A page under docs/ that the site's navigation leaves out is unreachable."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in (ROOT / "docs").rglob("*.md"):
        assert str(page.relative_to(ROOT / "docs")) in nav, f"{page} is not in mkdocs.yml's nav"


def test_readme_is_short_and_has_the_ci_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "python -m pytest tests -q"
    assert command in ci and command in readme
    assert "python -m fastnn.demo" in readme


def test_the_parser_finds_marks_and_runs_blocks(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(textwrap.dedent("""\
        # a page
        ```python
        x = 2
        ```
        <!-- not run: needs a cluster -->
        ```python
        raise RuntimeError("must be skipped")
        ```
        - in a list:
          ```python
          assert x == 2
          x += 1
          ```
        ```bash
        exit 1
        ```
        """))
    blocks = code_blocks(page.read_text())
    assert [(b[0], b[1], b[3]) for b in blocks] == [
        (2, "python", None), (6, "python", "needs a cluster"), (10, "python", None),
        (14, "bash", None)]
    namespace = {}
    assert run_page(page, namespace) == (2, 1)
    assert namespace["x"] == 3
    page.write_text("```python\nassert 1 + 1 == 3\n```\n")
    with pytest.raises(AssertionError, match="page.md, the python block at line 1 fails"):
        run_page(page)
    page.write_text("<!-- not run: -->\n```python\npass\n```\n")
    with pytest.raises(ValueError, match="without a reason"):
        code_blocks(page.read_text())


def test_no_page_points_outside_the_repository():
    """No page names a file outside the repository (GUIDE.md, a seeds/ folder, ...), except
    the shared data folder beside a checkout, which pages name as where real MNIST is read."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "GUIDE.md" not in text, page
        for match in re.finditer(r"\.\./[\w./-]+", text):
            assert match[0].startswith("../shared/data"), (page, match[0])
