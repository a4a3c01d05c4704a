"""Docs that run (issue 13, item 8): every command example in README.md and docs/*.md is run, as a
reader would type it, against one copy of the demo store, and must exit as the doc says (0 unless the
line says "exit code N"). Where a doc prints an example's output, every figure it prints must be in
that run's output, so the docs cannot drift from the data.

What is not run is said here, by rule, with the reason: a synopsis with placeholders (``FILE``,
``[--json]``, ``...``), a file of the reader's own (``my.duckdb``), the web server (tests/web), and
``make`` targets (CI runs them). Reports and exports are run in their own test, marked slow."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SAFER = [sys.executable, "-c", "from safer_communities.cli import main; main()"]  # the `safer` entry point
PASSWORD = "a long password of your own"  # typed twice where a command asks for one

PLACEHOLDER = re.compile(r"^(FILE|DIR|PATH(\.\.\.)?|ID|ARCHIVE\.zip|CODE|ISSUE|YOUR-NAME|[A-Z])$"
                         r"|\.\.\.|^\[|^\||path/to/|^~")
OWN_FILES = re.compile(r"\bmy[-_.]|our-|^/root/|^latest\.zip$|^extract\.csv$|^20\d\d-\d\d/$|^strategy\.yaml$|"
                       r"evidence-next")
HEAVY = re.compile(r"\breport sna\b|\bstrategy report\b|\bframework export\b")
SKIP_RULES = {
    "placeholder": "a synopsis with placeholders, not an example to run",
    "own file": "names a file of the reader's own",
    "serve": "starts the web server (tests/web run it)",
    "all districts": "builds the county report again for each of the 14 districts (minutes of CPU on CI's "
                     "two cores); the one-district example runs the same builder",
}


@dataclass
class Example:
    doc: str
    line: int
    command: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    stdin: str | None = None
    exit_code: int = 0
    output: str = ""  # what the doc prints under the command, if anything

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}: {self.command}"


def _parse(doc: str, line: int, text: str, output: str) -> Example | None:
    """An example from one command line; None when the line is not a ``safer`` command."""
    stated = re.search(r"exit code (\d+)", text.split("#", 1)[1]) if "#" in text else None
    stdin = None
    piped = re.match(r"^echo (['\"])(.*?)\1 \| (.*)$", text)
    if piped:
        stdin, text = piped.group(2) + "\n", piped.group(3)
    try:
        tokens = shlex.split(text, comments=True)
    except ValueError:
        return None
    env = {}
    while tokens and re.match(r"^SAFER_\w+=", tokens[0]):
        name, value = tokens.pop(0).split("=", 1)
        env[name] = value
    if not tokens or tokens[0] not in ("safer", ".venv/bin/safer"):
        return None
    # The exit code the doc states ("exit code 1"), or 2 where it shows the command's error message.
    code = int(stated.group(1)) if stated else 2 if output.lstrip().startswith("Error:") else 0
    return Example(doc, line, text.split("#", 1)[0].strip(), tokens[1:], env, stdin, code, output)


def examples() -> list[Example]:
    """Command lines in fenced blocks: ``$ safer ...`` and bare ``safer ...`` lines (with ``\\``
    continuations); the lines after a ``$`` command, up to the next ``$`` or the fence, are its output."""
    found: list[Example] = []
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        inside, i = False, 0
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith("```"):
                inside = not inside
                i += 1
                continue
            prompt = stripped.startswith("$ ")
            if inside and (prompt or re.match(r"^(\.venv/bin/)?safer\b|^SAFER_\w+=\S+ |^echo .*\| *safer\b",
                                              stripped)):
                start, text = i, stripped[2:] if prompt else stripped
                while text.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    text = text[:-1].rstrip() + " " + lines[i].strip()
                output: list[str] = []
                while prompt and i + 1 < len(lines) and not lines[i + 1].strip().startswith(("$ ", "```")):
                    i += 1
                    output.append(lines[i])
                example = _parse(path.name, start + 1, text, "\n".join(output))
                if example is not None:
                    found.append(example)
            i += 1
    return found


def skip_reason(example: Example) -> str | None:
    if any(PLACEHOLDER.search(token) for token in example.argv) or "..." in example.command:
        return "placeholder"
    if any(OWN_FILES.search(token) for token in example.argv):
        return "own file"
    if "serve" in example.argv:
        return "serve"
    if "--all-districts" in example.argv:
        return "all districts"
    return None


def _same_work(example: Example) -> tuple[str, ...]:
    """The command without where it reads and writes (--db, --out): two examples with the same
    value build the same thing, and the slow test builds it once."""
    argv, out = list(example.argv), []
    while argv:
        token = argv.pop(0)
        if token in ("--db", "--out") and argv:
            argv.pop(0)
        else:
            out.append(token)
    return tuple(out)


ALL = examples()
RUN = [e for e in ALL if skip_reason(e) is None]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, demo_store: Path) -> Path:
    """A folder laid out like a checkout after ``make demo``: demo/demo.duckdb (a copy of the demo
    store), the shipped example strategy under src/, and the app database created by the examples."""
    root = tmp_path_factory.mktemp("docs-examples")
    (root / "demo").mkdir()
    shutil.copyfile(demo_store, root / "demo" / "demo.duckdb")
    (root / "src").symlink_to(REPO / "src")
    (root / "demo" / "data").symlink_to(REPO / "demo" / "data")
    for line in _partner_lines():  # the partner statistics and SYNTHETIC feeds, as `make demo` loads them
        env, argv = line
        done = subprocess.run([*SAFER, *argv], cwd=root, capture_output=True, text=True, timeout=900,
                              check=False, env={**os.environ, "SAFER_DB": "demo/demo.duckdb", "PYTHONPATH":
                                                str(REPO / "src"), "SAFER_APP_DB_URL":
                                                "sqlite:///demo/setup-app.sqlite", **env})
        assert done.returncode == 0, (argv, done.stderr[-1500:])
    return root


def _partner_lines() -> list[tuple[dict[str, str], list[str]]]:
    """The Makefile's demo steps that load partner data (indicators, the sharing agreement, the feeds)."""
    out = []
    for raw in (REPO / "Makefile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        partner = re.search(r"ingest indicators|sharing add|ingest partner-feed", line)
        if "$(SAFER)" not in line or not partner:
            continue
        before, _, after = line.partition("$(SAFER)")
        env = dict(item.split("=", 1) for item in shlex.split(before))
        out.append((env, shlex.split(after)))
    assert len(out) == 5, out  # indicators, the agreement, three feeds
    return out


def _run(example: Example, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAFER_DB": "demo/demo.duckdb",
           "SAFER_APP_DB_URL": "sqlite:///demo/demo-app.sqlite",
           "COLUMNS": "100", "PYTHONPATH": str(REPO / "src"), **example.env}
    typed = example.stdin or f"{PASSWORD}\n" * 2
    return subprocess.run([*SAFER, *example.argv], cwd=root, env=env, input=typed, capture_output=True,
                          text=True, timeout=900, check=False)


def _figures(text: str) -> set[str]:
    """Numbers with a decimal point or a thousands separator, and 4+ digit counts: the figures a
    reader would quote (not list markers or small ordinals)."""
    found = set(re.findall(r"-?\d[\d,]*\.\d+|\d{1,3}(?:,\d{3})+|\b\d{4,}\b", text))
    return {f for f in found if not re.fullmatch(r"(19|20)\d\d", f)}  # a year is not a figure


def _check(example: Example, done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == example.exit_code, (
        f"{example.where}\nexit {done.returncode}, the doc says {example.exit_code}\n{done.stderr[-2000:]}")
    if example.output.strip():
        printed = done.stdout + done.stderr
        shown = {f.replace(",", "") for f in _figures(printed)} | _figures(printed)
        missing = sorted(f for f in _figures(example.output)
                         if f not in shown and f.replace(",", "") not in shown)
        assert not missing, f"{example.where}: the doc prints {missing}, which this run does not"


def test_examples_are_found_and_every_skip_has_a_reason() -> None:
    assert len(ALL) >= 40, [e.where for e in ALL]
    for example in ALL:
        assert skip_reason(example) in (None, *SKIP_RULES), example.where
    assert {e.doc for e in RUN} >= {"README.md", "evidence.md", "framework.md", "governance.md", "web.md"}


# What `make demo` puts in the app database before a reader starts on any doc.
SETUP = ['safer framework load --by "Demo"',
         'safer strategy load src/safer_communities/strategy/data/lancashire-example.yaml --by "Demo"']


def _each_doc(root: Path, heavy: bool) -> None:
    """Doc by doc, in order: each starts from the app database `make demo` leaves; all share the store."""
    built: set[tuple[str, ...]] = set()
    for doc in dict.fromkeys(e.doc for e in RUN):
        chosen = [e for e in RUN if e.doc == doc and bool(HEAVY.search(e.command)) == heavy]
        if not chosen:
            continue
        (root / "demo" / "demo-app.sqlite").unlink(missing_ok=True)
        # A doc that starts by loading the register starts from an empty app database.
        first = next(e for e in RUN if e.doc == doc)
        loads = not heavy and "framework" in first.argv and first.argv[
            first.argv.index("framework") + 1:][:1] == ["load"]
        for k, line in enumerate([] if loads else SETUP):
            setup = _parse("Makefile", k, line, "")
            assert setup is not None
            _check(setup, _run(setup, root))
        for example in chosen:
            if heavy and _same_work(example) in built:
                continue
            built.add(_same_work(example))
            _check(example, _run(example, root))


def test_every_command_example_runs_against_the_demo_store(workdir: Path) -> None:
    _each_doc(workdir, heavy=False)


@pytest.mark.slow
def test_report_and_export_examples_run(workdir: Path) -> None:
    _each_doc(workdir, heavy=True)
