"""The regression gate's arithmetic: direction, tolerances, missing metrics, tolerance parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.compare import CompareError, Tolerance, compare, load_report, new_failures, parse_tolerance


def _report(**summary: float | None) -> dict:
    return {"summary": summary, "items": []}


def _status(before: dict, after: dict, **tol: Tolerance) -> dict[str, str]:
    return {r.metric: r.status for r in compare(before, after, tol)}


def test_a_drop_beyond_tolerance_regresses_and_within_it_passes() -> None:
    assert _status(_report(mrr=0.80, hit_at_k=0.9), _report(mrr=0.76, hit_at_k=0.88)) == {
        "mrr": "REGRESSED",
        "hit_at_k": "ok",
    }
    assert _status(_report(mrr=0.80), _report(mrr=0.76), mrr=Tolerance(0.05)) == {"mrr": "ok"}
    assert _status(_report(mrr=0.80), _report(mrr=0.90)) == {"mrr": "better"}


def test_lower_is_better_metrics_regress_when_they_rise() -> None:
    assert _status(_report(false_abstention=0.0), _report(false_abstention=0.1)) == {
        "false_abstention": "REGRESSED"
    }
    assert _status(_report(false_abstention=0.2), _report(false_abstention=0.0)) == {
        "false_abstention": "better"
    }
    assert _status(_report(latency_p50_ms=100.0), _report(latency_p50_ms=190.0)) == {
        "latency_p50_ms": "ok"
    }  # may double
    assert _status(_report(latency_p50_ms=100.0), _report(latency_p50_ms=210.0)) == {
        "latency_p50_ms": "REGRESSED"
    }
    assert _status(
        _report(latency_p50_ms=100.0), _report(latency_p50_ms=9e9), latency_p50_ms=Tolerance(float("inf"))
    ) == {"latency_p50_ms": "ok"}


def test_missing_and_new_metrics() -> None:
    rows = {
        r.metric: r for r in compare(_report(mrr=0.5, key_fact_recall=0.8), _report(mrr=0.5, token_f1=0.3))
    }
    assert rows["key_fact_recall"].status == "MISSING" and rows["key_fact_recall"].failed
    assert rows["token_f1"].status == "new" and not rows["token_f1"].failed
    assert _status(_report(key_fact_recall=None), _report(key_fact_recall=None)) == {"key_fact_recall": "n/a"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("mrr=0.05", ("mrr", Tolerance(0.05))),
        ("latency_p95_ms=50%", ("latency_p95_ms", Tolerance(0.5, relative=True))),
        ("latency_p50_ms=inf", ("latency_p50_ms", Tolerance(float("inf")))),
    ],
)
def test_parse_tolerance(spec: str, expected: tuple[str, Tolerance]) -> None:
    assert parse_tolerance(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mrr", "use METRIC=VALUE"),
        ("mrrr=0.1", "Unknown metric 'mrrr'"),
        ("mrr=lots", "Invalid tolerance value 'lots' for mrr"),
        ("mrr=-1", "must be zero or more"),
    ],
)
def test_bad_tolerances_say_what_is_valid(spec: str, message: str) -> None:
    with pytest.raises(CompareError, match=message):
        parse_tolerance(spec)


def test_load_report_rejects_files_that_are_not_reports(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps({"metrics": {}}))
    with pytest.raises(CompareError, match="has no 'summary' object"):
        load_report(tmp_path / "x.json")
    (tmp_path / "report.json").write_text(json.dumps(_report(mrr=1.0)))
    assert load_report(tmp_path)["summary"] == {"mrr": 1.0}  # a report folder works too


def test_new_failures_lists_items_that_got_worse() -> None:
    before = {"items": [{"id": "a", "failures": []}, {"id": "b", "failures": ["x"]}]}
    after = {"items": [{"id": "a", "failures": ["missing key facts: y"]}, {"id": "b", "failures": ["x"]}]}
    assert new_failures(before, after) == ["a: missing key facts: y"]
