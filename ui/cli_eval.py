"""``briefs eval``: run the eval suite on a dataset, and gate regressions against a baseline report.

briefs eval run --dataset eval/datasets/gold.jsonl
briefs eval run --dataset ../shared/evaldata/paul_graham_essay --mode dense --top-k 5
briefs eval compare eval/baselines/gold.json eval/reports/gold-hybrid-…/report.json --tolerance mrr=0.05
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from assistant.errors import BriefsError
from assistant.settings import configure_offline
from ui.cli_options import settings_options

if TYPE_CHECKING:
    from assistant.models import Mode

configure_offline()
logger = logging.getLogger(__name__)
MAX_ITEMS_SHOWN = 15


@click.group("eval")
def eval_group() -> None:
    """Measure retrieval, answers, citations, abstention and latency on a labelled dataset; gate regressions.

    \b
    Example:  briefs eval run --dataset eval/datasets/crs.jsonl --split dev
    """


@eval_group.command("run")
@click.option(
    "--dataset",
    "dataset_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="rag_dataset.json (or its folder) or a .jsonl file of labelled questions.",
)
@click.option(
    "--sources",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Files or folders the questions are about (repeatable). Default: the dataset's source/ folder, "
    "its <stem>.meta.json sidecar, or corpus/.",
)
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "bm25"]),
    default="hybrid",
    show_default=True,
    help="Retrieval mode.",
)
@click.option(
    "--top-k",
    type=click.IntRange(1, 100),
    default=None,
    help="Passages retrieved (default: retrieval.top_k).",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N items.")
@click.option(
    "--split",
    type=click.Choice(["dev", "test", "all"]),
    default="all",
    show_default=True,
    help="Which items of the dataset's pinned splits file to run (tune on dev; report dev and test).",
)
@click.option(
    "--peer", is_flag=True, help="Also score a vanilla llama-index pipeline on the same items (the peer row)."
)
@click.option(
    "--save-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a slim copy of the report (figures and per-item scores) to gate later runs against.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Report folder. Default: eval/reports/<dataset>-<mode>-<timestamp>/",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the summary and report paths as one JSON object."
)
@click.option(
    "--judge",
    is_flag=True,
    help="Also score faithfulness and correctness with an LLM judge (needs BRIEFS_LLM__BASE_URL).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where indexes of dataset sources are cached. Default: eval/cache/",
)
@settings_options("answerer")
def eval_run(
    dataset_path: Path,
    sources: tuple[Path, ...],
    mode: str,
    top_k: int | None,
    limit: int | None,
    split: str,
    peer: bool,
    save_baseline: Path | None,
    out: Path | None,
    as_json: bool,
    judge: bool,
    cache_dir: Path | None,
    settings: Any,
) -> None:
    """Run a dataset through the assistant and write JSON, Markdown and HTML reports.

    \b
    Example:  briefs eval run --dataset eval/datasets/crs.jsonl --split test --peer
    """
    from eval import datasets, report, run

    try:
        dataset = (
            datasets.load_dataset(dataset_path, list(sources) or None)
            .only(cast("datasets.Split", split))
            .limited(limit)
        )
        result = run.evaluate(
            dataset,
            settings,
            mode=cast("Mode", mode),
            top_k=top_k,
            judge=judge,
            cache_dir=cache_dir,
            progress=_progress_bar(len(dataset.items), as_json),
            peer=peer,
        )
    except BriefsError as e:
        raise click.ClickException(str(e)) from e
    paths = report.write_reports(result, out)
    if save_baseline is not None:
        paths["baseline"] = report.write_baseline(result.to_json(), save_baseline)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "summary": result.summary(),
                    "by_kind": result.by_kind(),
                    "peer": result.peer,
                    "config": result.config,
                    "reports": {k: str(v) for k, v in paths.items()},
                },
                indent=2,
            )
        )
        return
    for name, score in result.summary().items():
        click.echo(f"{name:<20} {'–' if score is None else score}")
    if result.by_kind():
        click.echo("\n" + "\n".join(report.kind_table(result.to_json())))
    failing = sum(1 for it in result.items if it["failures"])
    click.echo(
        f"{failing} of {len(result.items)} items with failures; reports: {paths['html']} (and report.json, report.md)"
    )


def _progress_bar(total: int, quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="q", file=sys.stderr)

    def progress(n: int, _total: int, item_id: str) -> None:
        bar.set_postfix_str(item_id[:30])
        bar.update(1)
        if n == _total:
            bar.close()

    return progress


@eval_group.command("compare")
@click.argument("baseline", type=click.Path(exists=True, path_type=Path))
@click.argument("current", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--tolerance",
    "tolerances",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Allowed worsening, e.g. mrr=0.05, latency_p95_ms=50% or latency_p50_ms=inf (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
def eval_compare(baseline: Path, current: Path, tolerances: tuple[str, ...], as_json: bool) -> None:
    """Compare CURRENT with BASELINE (report.json files or their folders); exit 1 when a metric regressed.

    \b
    Example:  briefs eval compare eval/baselines/crs-dev.json eval/reports/crs-dev-…/
    """
    from eval import compare

    try:
        overrides = dict(compare.parse_tolerance(t) for t in tolerances)
        before, after = compare.load_report(baseline), compare.load_report(current)
    except BriefsError as e:
        raise click.ClickException(str(e)) from e
    rows = compare.compare(before, after, overrides)
    notes = compare.mismatch_notes(before, after)
    worse_items = compare.new_failures(before, after)
    failed = [r.metric for r in rows if r.failed]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "rows": [
                        {
                            "metric": r.metric,
                            "before": r.before,
                            "after": r.after,
                            "delta": r.delta,
                            "tolerance": str(r.tolerance),
                            "status": r.status,
                        }
                        for r in rows
                    ],
                    "notes": notes,
                    "new_item_failures": worse_items,
                    "failed": failed,
                },
                indent=2,
            )
        )
    else:
        click.echo(compare.format_table(rows))
        for note in notes:
            click.echo(f"note: {note}", err=True)
        if worse_items:
            click.echo(f"\n{len(worse_items)} item(s) with new failures:")
            for line in worse_items[:MAX_ITEMS_SHOWN]:
                click.echo(f"  {line}")
        click.echo(
            f"FAILED: {', '.join(failed)} regressed beyond tolerance"
            if failed
            else "OK: no metric regressed beyond its tolerance"
        )
    if failed:
        sys.exit(1)
