"""`briefs eval` rejects bad input before any work starts, with messages that say what is valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from ui.cli import cli

GOLD = str(ROOT / "eval" / "datasets" / "gold.jsonl")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "--dataset", GOLD, "--set", "chunk.size=5"],
            "Invalid settings: chunk.size: Input should be greater than or equal to 32 (got '5')",
        ),
        (["run", "--dataset", GOLD, "--set", "nonsense"], "use KEY=VALUE with a settings path"),
        (["run", "--dataset", GOLD, "--mode", "sparse"], "'sparse' is not one of 'hybrid', 'dense', 'bm25'"),
        (
            ["run", "--dataset", str(ROOT / "eval" / "datasets" / "gold.meta.json")],
            "examples: Field required",
        ),
        (["run", "--dataset", GOLD, "--sources", "/nonexistent/folder"], "does not exist"),
    ],
)
def test_run_rejects_bad_input(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["eval", *args])
    assert result.exit_code != 0 and message in result.output, result.output


@pytest.mark.parametrize(
    ("tolerance", "message"),
    [
        ("mrr", "use METRIC=VALUE"),
        ("precision=0.1", "Unknown metric 'precision'"),
    ],
)
def test_compare_rejects_bad_tolerances(tmp_path: Path, tolerance: str, message: str) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"summary": {"mrr": 0.5}}))
    result = CliRunner().invoke(cli, ["eval", "compare", str(report), str(report), "--tolerance", tolerance])
    assert result.exit_code == 1 and message in result.output, result.output


def test_compare_prints_the_table_and_exits_by_status(tmp_path: Path) -> None:
    for name, mrr in (("base.json", 0.8), ("same.json", 0.79), ("worse.json", 0.5)):
        (tmp_path / name).write_text(json.dumps({"summary": {"mrr": mrr, "false_abstention": 0.1}}))
    ok = CliRunner().invoke(
        cli, ["eval", "compare", str(tmp_path / "base.json"), str(tmp_path / "same.json")]
    )
    assert ok.exit_code == 0 and "OK: no metric regressed" in ok.output
    bad = CliRunner().invoke(
        cli, ["eval", "compare", str(tmp_path / "base.json"), str(tmp_path / "worse.json"), "--json"]
    )
    assert bad.exit_code == 1
    rows = {r["metric"]: r for r in json.loads(bad.output)["rows"]}
    assert rows["mrr"]["status"] == "REGRESSED" and rows["mrr"]["delta"] == pytest.approx(-0.3)
    assert rows["false_abstention"]["status"] == "ok"
