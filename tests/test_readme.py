"""The commands that README.md and docs/*.md quote against the demo data run exactly as written, in bash,
after `vultr-catalog demo` (what `make demo` builds), and print what their `# =>` lines say.

In a ```sh block, a `vultr-catalog ... --data-dir data/demo` line may be followed by `# => ` lines: each is
an excerpt of one line of the command's output, its words in order (`...` stands for anything between).
Excerpts quote what does not depend on the hour the demo is built at (prices, counts, the shape of an
answer), so they come out the same whenever the test runs."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXPECT = "# => "
pytestmark = pytest.mark.xdist_group("readme")  # one demo history for the module's tests


@dataclass(frozen=True)
class Quoted:
    where: str  # page:line
    command: str
    expected: tuple[str, ...]  # the `# =>` excerpts that follow it


def quoted_commands(page: Path) -> list[Quoted]:
    """Every `vultr-catalog ... --data-dir data/demo` line of page's sh blocks, with the excerpts below it."""
    text = page.read_text(encoding="utf-8")
    found: list[Quoted] = []
    for block in re.finditer(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        first_line = text.count("\n", 0, block.start(1)) + 1
        current: Quoted | None = None
        for offset, raw in enumerate(block.group(1).splitlines()):
            line = raw.strip()
            if line.startswith(EXPECT) and current is not None:
                current = Quoted(current.where, current.command, (*current.expected, line[len(EXPECT):]))
                found[-1] = current
            elif line.startswith("vultr-catalog ") and "--data-dir data/demo" in line:
                current = Quoted(f"{page.relative_to(ROOT)}:{first_line + offset}", line, ())
                found.append(current)
            else:
                current = None
    return found


def all_quoted() -> list[Quoted]:
    return [q for page in PAGES for q in quoted_commands(page)]


def shows(output: str, excerpt: str) -> bool:
    """Some line of output holds excerpt's words in order (each as part of a word: `7.50` in `$7.50`)."""
    words = [w for w in excerpt.split() if w != "..."]
    pattern = ".*?".join(re.escape(w) for w in words)
    return any(re.search(pattern, line) for line in output.splitlines())


def test_the_docs_quote_demo_commands_with_what_they_print():
    quoted = all_quoted()
    assert len(quoted) >= 8 and any(" --at " in q.command for q in quoted) and any(" rebuild " in q.command for q in quoted)
    assert sum(len(q.expected) for q in quoted) >= 6


def test_an_excerpt_matches_words_in_order_on_one_line():
    output = "plan_id  price\nvc2-1c-1gb  vc2  $7.50\nvhf-1c-1gb  6.00"
    assert shows(output, "vc2-1c-1gb ... 7.50") and not shows(output, "7.50 vc2-1c-1gb")
    assert not shows(output, "vc2-1c-1gb 6.00")  # the words are on two different lines


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VULTR_CATALOG_DATA_DIR", None)
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A directory where `vultr-catalog demo --no-serve --days 30` has built data/demo, as `make demo` does."""
    work = tmp_path_factory.mktemp("readme")
    built = run("vultr-catalog demo --no-serve --days 30 --data-dir data/demo", work)
    assert built.returncode == 0, built.stderr
    return work


@pytest.mark.parametrize("quoted", all_quoted(), ids=lambda q: q.where)
def test_a_quoted_command_runs_as_written_and_prints_what_the_page_says(workdir, quoted):
    result = run(quoted.command, workdir)
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr
    for excerpt in quoted.expected:
        assert shows(result.stdout, excerpt), f"{quoted.where}: `{excerpt}` is not in the output of\n" \
                                               f"{quoted.command}\n{result.stdout}"


def test_the_readme_stays_short():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 350
