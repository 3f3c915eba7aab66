"""The ``briefs`` command line: ingest, docs, ask, chat, serve, mcp, settings.

Every command takes ``--data-dir`` (or ``BRIEFS_DATA_DIR``); other settings come from ``BRIEFS_*`` env vars.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from assistant.settings import configure_offline
from ui.cli_options import settings_options

configure_offline()
logger = logging.getLogger(__name__)

common = settings_options("data_dir", "answerer")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Ask questions of a collection of policy briefs; every claim cites the passage it came from.

    \b
    Example:  briefs ingest corpus/ && briefs ask "What did the visit achieve?"
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Remove briefs whose files no longer exist.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@common
def ingest(paths: tuple[Path, ...], prune: bool, as_json: bool, settings: Any) -> None:
    """Ingest briefs (.txt .md .html .pdf .docx; folders recursively). Unchanged files are skipped.

    \b
    Example:  briefs ingest corpus/ ~/briefs/ --prune
    """
    from assistant.service import BriefsService

    service = BriefsService(settings)
    bar = None
    if sys.stderr.isatty() and not as_json:
        from tqdm import tqdm

        bar = tqdm(total=0, unit="file", file=sys.stderr)

    def progress(path: str, n: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.set_postfix_str(Path(path).name[:40])
            bar.update(1)

    report = service.ingest(paths, prune=prune, progress=progress)
    if bar is not None:
        bar.close()
    if as_json:
        out = report.to_json()
        out.pop("ids")
        click.echo(json.dumps(out))
    else:
        click.echo(
            f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, removed {report.removed}, "
            f"failed {len(report.failed)} — {report.briefs} briefs, {report.chunks} chunks in {settings.data_dir}"
        )
        for s in report.skipped:
            click.echo(f"skipped {s['path']}: {s['error']}", err=True)
        for f in report.failed:
            click.echo(f"FAILED {f['path']}: {f['error']}", err=True)
    if report.failed:
        sys.exit(1)


@cli.group()
def docs() -> None:
    """List or delete ingested briefs.

    \b
    Example:  briefs docs list --json
    """


@docs.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per brief, as a list.")
@common
def docs_list(as_json: bool, settings: Any) -> None:
    """List briefs with their metadata and chunk counts.

    \b
    Example:  briefs docs list --data-dir data
    """
    from assistant.service import BriefsService

    briefs = BriefsService(settings).list_briefs()
    if as_json:
        click.echo(json.dumps([b.model_dump() for b in briefs], indent=2))
        return
    for b in briefs:
        click.echo(f"{b.id}\t{b.date or '-'}\t{', '.join(b.authors) or '-'}\t{b.chunks} chunks\t{b.title}")
    click.echo(f"{len(briefs)} briefs", err=True)


@docs.command("delete")
@click.argument("brief_id")
@common
def docs_delete(brief_id: str, settings: Any) -> None:
    """Delete one brief (its chunks, vectors and keyword entries).

    \b
    Example:  briefs docs delete blinkens-visit-to-beijing
    """
    from assistant.service import BriefsService

    BriefsService(settings).delete(brief_id)  # loads no model
    click.echo(f"deleted {brief_id}")


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(
        [
            click.option("--author", help="Only briefs by this author (substring)."),
            click.option(
                "--organisation",
                "--org",
                "organisation",
                help="Only briefs from this organisation (substring).",
            ),
            click.option("--brief", "brief_ids", multiple=True, help="Only this brief id (repeatable)."),
            click.option("--since", "date_from", help="Published on or after YYYY-MM-DD."),
            click.option("--until", "date_to", help="Published on or before YYYY-MM-DD."),
            click.option("--all-versions", is_flag=True, help="Include older versions of a brief."),
            click.option("--top-k", type=click.IntRange(1, 100), default=None, help="Passages to retrieve."),
        ]
    ):
        func = opt(func)
    return func


def make_filters(
    author: str | None,
    organisation: str | None,
    brief_ids: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    all_versions: bool,
) -> Any:
    from pydantic import ValidationError

    from assistant.models import Filters

    try:
        return Filters(
            author=author,
            organisation=organisation,
            brief_id=list(brief_ids) or None,
            date_from=date_from,
            date_to=date_to,
            all_versions=all_versions,
        )
    except ValidationError as e:
        raise click.BadParameter(
            "; ".join(
                f"{'.'.join(map(str, err['loc']))}: {err['msg']} (got {err.get('input')!r})"
                for err in e.errors()
            )
        ) from e


@cli.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the Answer object as JSON.")
@click.option(
    "--history", type=click.File("r"), default=None, help='JSON list of prior turns [{"role", "content"}].'
)
@filter_options
@common
def ask(
    question: str, as_json: bool, history: Any, top_k: int | None, settings: Any, **filter_args: Any
) -> None:
    """Answer QUESTION from the briefs, with [n] citations (QUESTION may come on standard input).

    \b
    Example:  briefs ask "Who wrote the brief on the XM-30?"
              echo "What did the visit achieve?" | briefs ask --json
    """
    from assistant.errors import NoBriefsError
    from assistant.service import BriefsService
    from ui.render import render_answer

    question = (question or "").strip() or _question_from_stdin()
    turns = _read_history(history) if history else None
    try:
        answer = BriefsService(settings).ask(
            question, history=turns, filters=make_filters(**filter_args), top_k=top_k
        )
    except NoBriefsError as e:
        if not as_json:
            raise
        click.echo(json.dumps({"state": "no_briefs", "message": str(e), "question": question}))
        sys.exit(3)
    click.echo(answer.model_dump_json(indent=2) if as_json else render_answer(answer))


def _question_from_stdin() -> str:
    if sys.stdin is None or sys.stdin.isatty():
        raise click.UsageError(
            'Give a QUESTION, e.g. briefs ask "What did the visit achieve?", or pipe one in.'
        )
    question = sys.stdin.read().strip()
    if not question:
        raise click.UsageError("Standard input held no question.")
    return question


def _read_history(f: Any) -> list[dict[str, str]]:
    from pydantic import TypeAdapter, ValidationError

    from assistant.models import Turn

    try:
        return [t.model_dump() for t in TypeAdapter(list[Turn]).validate_json(f.read())]
    except ValidationError as e:
        raise click.BadParameter(
            f"{f.name}: expected a JSON list of {{'role': 'user'|'assistant', 'content': str}}: {e.errors()[0]['msg']} at {e.errors()[0]['loc']}",
            param_hint="--history",
        ) from e


@cli.command()
@filter_options
@common
def chat(top_k: int | None, settings: Any, **filter_args: Any) -> None:
    """Interactive chat in the terminal. Commands: /filter key=value …, /sources, /reset, /quit.

    \b
    Example:  briefs chat --since 2026-01-01
    """
    from ui.terminal import run_chat

    run_chat(settings, make_filters(**filter_args), top_k)


@cli.command()
@click.option("--host", default=None, help="Interface to bind (default: $BRIEFS_HOST or 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port (default: $BRIEFS_PORT or 7860)."
)
@click.option("--no-web", is_flag=True, help="Serve the HTTP API only, without the web chat at /.")
@common
def serve(host: str | None, port: int | None, no_web: bool, settings: Any) -> None:
    """Serve the web chat at / and the HTTP API under /v1 (OpenAI-compatible chat, docs at /docs, MCP at /mcp).

    \b
    Example:  BRIEFS_API_KEYS=secret briefs serve --port 7860
    """
    import uvicorn

    from assistant.service import BriefsService
    from ui.http.startup import DeferredApp

    settings = settings.model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    service = BriefsService(settings)
    service.start_warm_up()  # store and models load in the background; /readyz says "warming" meanwhile
    failure: list[BaseException] = []

    def build() -> Any:  # in a thread once the server listens: the web frameworks take seconds to import
        from ui.http.app import create_app

        return create_app(settings, service=service, with_web=not no_web)

    def stop(error: BaseException) -> None:
        failure.append(error)
        server.should_exit = True

    url = f"http://{settings.host}:{settings.port}"

    def ready() -> None:  # once the app serves and the store and models are loaded: where to go, what is loaded
        if service.wait_until_warm() == "ready":
            click.echo(ready_banner(url, len(service.list_briefs()), with_web=not no_web))
        else:  # the store or a model cannot be loaded: say why and stop, rather than serve questions that all fail
            stop(RuntimeError(service.readiness()[1] or "warming up failed"))

    level = logging.getLogger().getEffectiveLevel()
    server = uvicorn.Server(
        uvicorn.Config(
            DeferredApp(build, on_failure=stop, on_ready=ready),
            host=settings.host,
            port=settings.port,
            log_level="info" if level <= logging.INFO else "warning",
        )
    )
    click.echo(f"Starting: briefs from {settings.data_dir}, at {url} (/healthz answers now, /readyz once warm)")
    server.run()
    if failure:
        raise click.ClickException(str(failure[0]))


def ready_banner(url: str, briefs: int, with_web: bool = True) -> str:
    """What `briefs serve` prints once it answers questions."""
    lines = [f"Ready: {briefs} brief{'s' if briefs != 1 else ''} loaded."]
    if with_web:
        lines.append(f"  Chat:     {url}/")
    lines += [f"  API docs: {url}/docs  (OpenAI base_url: {url}/v1)", f"  MCP:      {url}/mcp"]
    if not briefs:
        lines.append("  No briefs yet: briefs ingest <folder>, or upload one in the chat.")
    return "\n".join(lines)


@cli.command("mcp")
@click.option(
    "--allow-write",
    is_flag=True,
    help="Offer the ingest tool (files and folders by path, or uploaded content) to the MCP client.",
)
@common
def mcp_stdio(allow_write: bool, settings: Any) -> None:
    """Serve the briefs to an MCP client over stdio: tools ask, search, list_briefs, get_brief (and ingest with
    --allow-write), resources brief://{id}. Stdout carries the protocol; logs go to stderr.

    \b
    Example:  briefs mcp --data-dir /abs/path/data --allow-write
    """
    from assistant.service import BriefsService
    from ui.mcp import WritePolicy, build_server

    service = BriefsService(settings)
    with contextlib.redirect_stdout(sys.stderr):  # stdout is the protocol: nothing else may write to it
        service.warm_up()  # load the store and models now: errors surface here, not on the first call
    server = build_server(service, WritePolicy("local" if allow_write else "off"))
    write = "ingest enabled" if allow_write else "read-only; --allow-write enables ingest"
    click.echo(f"MCP server (stdio) for the briefs in {settings.data_dir} ({write})", err=True)
    server.run("stdio")


@cli.command()
@common
def prepare(settings: Any) -> None:
    """Export the ONNX embedder from its model folder once (torch is needed for this step only) and check that it
    loads; otherwise the first ingest or question does it."""
    from assistant.service import BriefsService

    info = BriefsService(settings).prepare()
    click.echo(f"embedder {info['embedder']} ready: {info['model']}")


@cli.group("settings")
def settings_group() -> None:
    """Inspect settings.

    \b
    Example:  briefs settings show --settings test
    """


@settings_group.command("show")
@common
def settings_show(settings: Any) -> None:
    """Print the effective settings as JSON (API keys masked).

    \b
    Example:  BRIEFS_RETRIEVAL__TOP_K=5 briefs settings show
    """
    shown = settings.model_dump(mode="json")
    keys = settings.api_key_values()
    shown["api_keys"] = f"<{len(keys)} key(s) set>" if keys else ""
    click.echo(json.dumps(shown, indent=2))


from ui.cli_eval import eval_group  # noqa: E402  # the eval CLI lives in its own module

cli.add_command(eval_group)


if __name__ == "__main__":
    cli()
