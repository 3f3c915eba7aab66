"""CI's regression gate: the gold set, run through the CLI, must not fall below eval/baselines/gold.json;
and a deliberately broken configuration must make the gate fail.

Latency is not gated here (it depends on the machine and its load); every quality metric is, with the
default tolerances. After an intended change in quality, refresh the baseline (see eval/README.md).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from ui.cli import cli

GOLD = ROOT / "eval" / "datasets" / "gold.jsonl"
BASELINE = ROOT / "eval" / "baselines" / "gold.json"
NO_LATENCY_GATE = ["--tolerance", "latency_p50_ms=inf", "--tolerance", "latency_p95_ms=inf"]


def _run(out: Path, cache: Path, *extra: str, env: dict[str, str] | None = None) -> Path:
    clean: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith("BRIEFS_")
    }  # the developer's settings stay out
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            "run",
            "--dataset",
            str(GOLD),
            "--out",
            str(out),
            "--cache-dir",
            str(cache),
            "--json",
            *extra,
        ],
        env={**clean, **(env or {})},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["reports"]["json"] == str(out / "report.json")
    return out


@pytest.fixture(scope="module")
def gold_report(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:  # type: ignore[no-untyped-def]  # embedder: load MiniLM once
    return _run(tmp_path_factory.mktemp("gold"), tmp_path_factory.mktemp("cache"))


def test_gold_set_does_not_regress_from_the_baseline(gold_report: Path) -> None:
    result = CliRunner().invoke(
        cli, ["eval", "compare", str(BASELINE), str(gold_report / "report.json"), *NO_LATENCY_GATE]
    )
    assert result.exit_code == 0, f"the gold set regressed:\n{result.output}"
    assert "OK: no metric regressed" in result.output


def test_reports_are_written_and_self_contained(gold_report: Path) -> None:
    data = json.loads((gold_report / "report.json").read_text())
    assert data["dataset"]["name"] == "gold" and len(data["items"]) == data["dataset"]["items"] >= 25
    assert {
        "hit_at_k",
        "mrr",
        "ndcg_at_k",
        "key_fact_recall",
        "token_f1",
        "answer_similarity",
        "citation_recall",
        "citation_precision",
        "correct_abstention",
        "false_abstention",
        "latency_p50_ms",
        "latency_p95_ms",
    } <= set(data["metrics"])
    for metric in data["metrics"].values():
        assert set(metric) == {"score", "individual_scores"} and len(metric["individual_scores"]) == len(
            data["items"]
        )
    page = (gold_report / "report.html").read_text()
    assert "<svg" in page and not re.search(r"<(script|link|img)\b", page)  # nothing loaded from elsewhere
    failing = [it["id"] for it in data["items"] if it["failures"]]
    if failing:  # the per-question table lists failures first
        assert page.index(f"<td>{failing[0]}</td>") < min(
            page.index(f"<td>{it['id']}</td>") for it in data["items"] if not it["failures"]
        )
    assert "## Failures" in (gold_report / "report.md").read_text()


def test_a_broken_configuration_fails_the_gate(tmp_path: Path, gold_report: Path) -> None:
    broken = _run(
        tmp_path / "broken", tmp_path / "cache", "--top-k", "1", "--judge", env={"BRIEFS_CHUNK__SIZE": "32"}
    )
    assert json.loads((broken / "report.json").read_text())["config"]["judge"].startswith(
        "skipped"
    )  # no LLM server configured
    result = CliRunner().invoke(cli, ["eval", "compare", str(BASELINE), str(broken), *NO_LATENCY_GATE])
    assert result.exit_code == 1, result.output
    assert re.search(r"^mrr .* REGRESSED$", result.output, re.M) and "FAILED:" in result.output
