"""``relgate translate`` golden outputs: each ``*.http`` here names the commands to run on it.

A ``.http`` file's first comment lines say how to run it — ``# relgate translate ARGS`` (one line
per run) and ``# exit N`` (the exit status every run must have; 0 when absent) — and each run's
whole output is compared exactly with its golden file: ``NAME.txt`` (``NAME.json`` for
``--format json``), or ``NAME-<n>.txt`` when the file has several runs.

After an intended change of the output, regenerate them and review the diff::

    RELGATE_UPDATE_GOLDENS=1 .venv/bin/pytest tests/planner/translate

(refused under ``CI=true``: CI compares, it never rewrites).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from relgate.cli import main

HERE = Path(__file__).resolve().parent
UPDATE = os.environ.get("RELGATE_UPDATE_GOLDENS") == "1"


@dataclass(frozen=True)
class Run:
    http: Path
    argv: tuple[str, ...]
    expected: Path
    status: int

    @property
    def id(self) -> str:
        return self.expected.name


def runs() -> list[Run]:
    out: list[Run] = []
    for http in sorted(HERE.glob("*.http")):
        header = [line for line in http.read_text().splitlines() if line.startswith("#")]
        commands = [shlex.split(line[1:].strip())[2:] for line in header if line[1:].strip().startswith("relgate translate ")]
        status = next((int(line.split()[2]) for line in header if line.startswith("# exit ")), 0)
        assert commands, f"{http.name} names no '# relgate translate …' command"
        for n, argv in enumerate(commands, 1):
            ext = ".json" if "json" in argv else ".txt"
            name = http.stem + (f"-{n}" if len(commands) > 1 else "") + ext
            out.append(Run(http, ("translate", *argv), HERE / name, status))
    return out


RUNS = runs()


def test_the_goldens_cover_each_rule_on_main() -> None:
    """A golden for every rule of the planner's table (and the native rule), so a new rule needs one."""
    from relgate.planner.rules import RULES
    from relgate.translate.run import _rule_name

    text = "\n".join(run.expected.read_text() for run in RUNS if run.expected.exists())
    for name in ["native", *(_rule_name(entry.rule) for entry in RULES)]:
        assert f"rule: {name}" in text, f"no golden output plans a request with the rule {name!r}"


@pytest.mark.parametrize("run", RUNS, ids=lambda r: r.id)
def test_golden(run: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    status = main(list(run.argv))
    captured = capsys.readouterr()
    assert status == run.status, f"exit {status}, expected {run.status}\n{captured.err}"
    if UPDATE:
        assert os.environ.get("CI") != "true", "RELGATE_UPDATE_GOLDENS rewrites goldens; CI only compares"
        run.expected.write_text(captured.out)
        return
    assert run.expected.exists(), f"{run.expected.name} is missing: RELGATE_UPDATE_GOLDENS=1 writes it (then review it)"
    expected = run.expected.read_text()
    if captured.out != expected:
        pytest.fail(_diff(expected, captured.out, run.expected.name), pytrace=False)


def _diff(expected: str, actual: str, name: str) -> str:
    import difflib

    lines = difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"{name} (golden)", f"{name} (now)", lineterm="")
    return "\n".join(lines) + "\n(RELGATE_UPDATE_GOLDENS=1 rewrites the goldens after an intended change)"


def test_a_real_difference_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison is exact: one changed character in a golden is a failure, with the diff."""
    if UPDATE:
        pytest.skip("RELGATE_UPDATE_GOLDENS rewrites goldens instead of comparing them")
    run = next(r for r in RUNS if r.expected.name == "native-relationship-add.txt")
    altered = tmp_path / run.expected.name
    altered.write_text(run.expected.read_text().replace("-> 204", "-> 200", 1))
    with pytest.raises(pytest.fail.Exception) as caught:
        test_golden(Run(run.http, run.argv, altered, run.status), capsys, monkeypatch)
    assert "-    -> 200" in str(caught.value) and "+    -> 204" in str(caught.value)
