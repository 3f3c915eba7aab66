"""`briefs chat`: history, sources under each answer, /filter, /sources, /reset."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ui.cli import cli
from ui.terminal import parse_filter


def _turns(output: str) -> list[str]:
    return output.split("you> ")[1:]


def test_follow_up_uses_the_previous_turn_and_reset_forgets_it(ingested_dir: Path) -> None:
    script = (
        "What is the Army's XM30 Mechanized Infantry Combat Vehicle?\nWho builds it?\n/sources\n"
        "/reset\nWho builds it?\n/quit\n"
    )
    result = CliRunner().invoke(cli, ["chat", "--data-dir", str(ingested_dir)], input=script)
    assert result.exit_code == 0, result.output
    turns = _turns(result.output)
    assert "Sources:" in turns[0] and "xm30-v2" in turns[0]
    assert "Rheinmetall" in turns[1] and "(searched for: Who builds it? (" in turns[1]
    assert turns[2].count("xm30-v2") >= 1  # /sources lists the passages of the last answer
    assert "(conversation cleared)" in turns[3]
    assert "searched for" not in turns[4]


def test_filter_command_restricts_answers_and_reports_bad_keys(ingested_dir: Path) -> None:
    script = "/filter author=Lindqvist\nWhat are the recommendations?\n/filter colour=blue\n/quit\n"
    result = CliRunner().invoke(cli, ["chat", "--data-dir", str(ingested_dir)], input=script)
    turns = _turns(result.output)
    assert "(filters: {'author': 'Lindqvist'})" in turns[0]
    assert "arctic-shipping" in turns[1] and "semiconductors" not in turns[1]
    assert "unknown filter 'colour'" in turns[2]


def test_parse_filter_validates_values() -> None:
    assert parse_filter("author='Maria Lindqvist' all_versions=true").all_versions is True
    try:
        parse_filter("date_from=tomorrow")
    except ValueError as e:
        assert "date_from" in str(e)
    else:
        raise AssertionError("a bad date must be rejected")
