"""The quality gate on a real corpus: the CRS question set's dev split, run through `briefs eval run` on the 92 CRS
products, compared with the committed baseline by `briefs eval compare` (one item's worth of tolerance per headline
metric: the extractive answerer is deterministic). A deliberately worse configuration must fail it.

Skipped cleanly when ../shared/corpus_ext/crs_reports is absent. The index is built once per run and cached by
content hash under eval/cache/ (both runs below share it: they change only answering settings).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, require_crs
from ui.cli import cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3000)]

DATASET = ROOT / "eval" / "datasets" / "crs.jsonl"
BASELINE = ROOT / "eval" / "baselines" / "crs-dev.json"
NO_LATENCY_GATE = ["--tolerance", "latency_p50_ms=inf", "--tolerance", "latency_p95_ms=inf"]


def _run(out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(cli, ["eval", "run", "--dataset", str(DATASET), "--split", "dev", "--out", str(out),
                                      "--json", "--settings", "test", *extra])
    assert result.exit_code == 0, result.output
    return json.loads((out / "report.json").read_text())


@pytest.fixture(scope="module")
def dev_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_crs()
    out = tmp_path_factory.mktemp("crs-dev")
    _run(out)
    return out


def test_the_dev_split_does_not_regress_from_the_baseline(dev_report: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "compare", str(BASELINE), str(dev_report), *NO_LATENCY_GATE])
    assert result.exit_code == 0, f"the CRS dev split regressed:\n{result.output}"


def test_the_report_scores_every_kind(dev_report: Path) -> None:
    data = json.loads((dev_report / "report.json").read_text())
    assert data["dataset"]["split"] == "dev" and data["dataset"]["items"] >= 100
    assert set(data["by_kind"]) == {"fact", "metadata", "list", "summary", "compare", "followup",
                                    "unanswerable_nearmiss", "unanswerable_offtopic"}
    for name in ("key_fact_recall", "cited_fact_recall", "citations_correct", "abstention_nearmiss",
                 "abstention_offtopic", "false_abstention", "doc_hit_at_5", "answer_words"):
        assert data["summary"][name] is not None, name


def test_a_worse_configuration_fails_the_gate(dev_report: Path, tmp_path: Path) -> None:
    """Two passages per question instead of eight: a configuration a careless change could ship."""
    worse = tmp_path / "worse"
    _run(worse, "--top-k", "2")
    result = CliRunner().invoke(cli, ["eval", "compare", str(BASELINE), str(worse), *NO_LATENCY_GATE])
    assert result.exit_code == 1, result.output
    assert "REGRESSED" in result.output and "FAILED:" in result.output
