"""examples/middleware-flask-0.17: the Flask-Restless 0.17 app gains a JSON:API 1.1 door, in its own venv.

0.17 needs Flask 1.1 and SQLAlchemy 1.3, so relgate runs inside that pinned venv (built by
``python tests/backends/install.py middleware-flask-0.17``; this checkout on PYTHONPATH):
``flask_017_scenario.py`` runs there in a subprocess, sends the proxy matrix's scenario to the
example's WSGI app in-process, reads 0.17's own data through its Flask-SQLAlchemy session after
each write, and reports; the assertions are here.  Without the venv this skips and says what to
run; under ``CI=true`` it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.backends import install
from tests.examples.examples_support import ROOT

BACKEND = install.BACKENDS["middleware-flask-0.17"]
SCRIPT = Path(__file__).with_name("flask_017_scenario.py")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    problem = install.status(BACKEND)
    if problem is not None:
        message = f"the 0.17 middleware venv is not ready ({problem}); run `python tests/backends/install.py {BACKEND.name}`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("flask017")
    out = folder / "report.json"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "RELGATE_DB": str(folder / "r017.db")}
    done = subprocess.run(
        [str(install.venv_python(BACKEND)), str(SCRIPT), str(out)], env=env, cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


def test_it_runs_on_017s_own_stack_without_relgates_store(report: dict[str, Any]) -> None:
    assert report["versions"] == {"flask": "1.1.4", "flask_restless": "0.17.0", "sqlalchemy": "1.3.24"}
    assert report["relgate_store_imported"] is False


def test_jsonapi_door_scenario_checks_017s_own_data(report: dict[str, Any]) -> None:
    steps = report["steps"]
    created = {k: v for k, v in steps.items() if k.startswith("create ")}
    assert [v["status"] for v in created.values()] == [201] * 6, created
    assert steps["created"]["db"] == {
        "articles": {"a": None, "b": None, "c": "Ann"},
        "computers": {"alpha": "Ann"},
        "people": ["Ann", "Bob"],
    }
    expected = {
        "add": {"a": "Ann", "b": "Ann", "c": "Ann"},
        "remove": {"a": "Ann", "b": None, "c": "Ann"},
        "replace": {"a": None, "b": "Ann", "c": None},
        "to-one set": {"a": "Bob", "b": "Ann", "c": None},
        "to-one clear": {"a": None, "b": "Ann", "c": None},
    }
    for step, articles in expected.items():
        assert steps[step]["status"] == 204, (step, steps[step])
        assert steps[step]["db"]["articles"] == articles, step
    read = steps["read include"]
    assert read["status"] == 200 and read["content_type"] == "application/vnd.api+json"
    included = sorted((i["type"], i["attributes"].get("title") or i["attributes"]["name"]) for i in read["body"]["included"])
    assert included == [("article", "b"), ("computer", "alpha")]
    page = steps["page"]
    assert page["status"] == 200, page
    assert [x["attributes"]["title"] for x in page["body"]["data"]] == ["a"]
    assert page["body"]["meta"]["total"] == 3


def test_017s_own_errors_reach_the_caller_in_jsonapi(report: dict[str, Any]) -> None:
    dup = report["steps"]["duplicate"]  # 0.17's own refusal (the unique name), as a JSON:API 1.1 error
    assert dup["status"] == 409 and dup["content_type"] == "application/vnd.api+json"
    assert dup["body"]["errors"][0]["status"] == "409" and dup["body"]["jsonapi"] == {"version": "1.1"}
    assert dup["db"]["people"] == ["Ann", "Bob"]
    missing = report["steps"]["missing"]
    assert missing["status"] == 404 and missing["body"]["errors"][0]["status"] == "404"


def test_an_exception_in_017_is_a_jsonapi_500_without_traceback(report: dict[str, Any]) -> None:
    fault = report["fault"]  # 0.17's table dropped: SQLAlchemy raises, Flask answers its 500 page
    assert fault["status"] == 500 and fault["content_type"] == "application/vnd.api+json"
    (err,) = fault["body"]["errors"]
    assert err["status"] == "500" and err["code"] == "internal" and "logged" in err["detail"]
    text = json.dumps(fault["body"])
    assert "Traceback" not in text and "no such table" not in text and "<html" not in text.lower()


def test_requests_outside_the_door_are_byte_identical_to_the_bare_app(report: dict[str, Any]) -> None:
    for seen in report["outside"]:
        assert seen["wrapped"] == seen["bare"], seen["request"]
    statuses = [s["bare"][0] for s in report["outside"]]
    assert statuses == [200, 200, 400, 200, 400, 404, 404, 404]  # what each request is there to show
