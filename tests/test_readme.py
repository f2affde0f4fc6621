"""The README's test command is complete, and CI runs exactly it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"Run the tests.*?\n\n    (.+?)\n", text, re.S)
    assert m, "the README has no 'Run the tests' command"
    return m.group(1)


def test_the_readme_test_command_sets_up_the_js_clients() -> None:
    steps = readme_test_command().split(" && ")
    assert "npm ci --prefix tests/clients" in steps  # without it the JS-client tests skip
    assert ".venv/bin/python tests/backends/install.py" in steps  # the real Python backends
    assert ".venv/bin/python tests/backends/install_strapi.py" in steps  # the real Strapi 5
    assert steps[-1].startswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci_lines = [line.replace(" </dev/null", "") for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert readme_test_command() in ci_lines
