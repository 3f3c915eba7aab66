"""``briefs chat``: an interactive terminal chat with history, sources and filters."""

from __future__ import annotations

import shlex
from typing import Any

import click

from assistant.errors import BriefsError
from assistant.models import Answer, Filters, Turn
from assistant.settings import Settings
from ui.render import render_answer

HELP = "Commands: /filter key=value … (author, organisation, brief_id, date_from, date_to, all_versions; '/filter' alone clears), /sources, /reset, /quit"


def parse_filter(args: str) -> Filters:
    """'/filter author=Clark date_from=2024-01-01' -> Filters; raises ValueError naming the bad key."""
    values: dict[str, Any] = {}
    for part in shlex.split(args):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"expected key=value, got {part!r}")
        if key not in Filters.model_fields:
            raise ValueError(f"unknown filter {key!r}; valid: {', '.join(Filters.model_fields)}")
        values[key] = value
    return Filters.model_validate(values)


def run_chat(settings: Settings, filters: Filters, top_k: int | None) -> None:
    from assistant.service import BriefsService

    assistant = BriefsService(settings)
    history: list[Turn] = []
    last: Answer | None = None
    click.echo(f"Briefs Assistant — {len(assistant.list_briefs())} briefs. {HELP}")
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if not line:
            continue
        if line.startswith("/"):
            cmd, _, rest = line.partition(" ")
            if cmd in ("/quit", "/exit"):
                return
            if cmd == "/reset":
                history, last = [], None
                click.echo("(conversation cleared)")
            elif cmd == "/filter":
                try:
                    filters = parse_filter(rest)
                    click.echo(
                        f"(filters: {filters.model_dump(exclude_none=True, exclude_defaults=True) or 'none'})"
                    )
                except ValueError as e:
                    click.echo(f"(bad filter: {e})")
            elif cmd == "/sources":
                if last is None:
                    click.echo("(no answer yet)")
                for i, p in enumerate(last.passages if last else [], 1):
                    click.echo(
                        f"  {i}. {p.title} [{p.brief_id}:{p.start}-{p.end}] score {p.score:.4f}\n     {p.text[:160]}…"
                    )
            else:
                click.echo(HELP)
            continue
        try:
            last = _answer(assistant, line, history, filters, top_k)
        except BriefsError as e:
            click.echo(f"(error: {e})")
            continue
        click.echo("assistant> " + render_answer(last).replace("\n", "\n  "))
        if last.query != line:
            click.echo(f"  (searched for: {last.query})")
        history += [Turn(role="user", content=line), Turn(role="assistant", content=last.text)]


def _answer(assistant: Any, line: str, history: list[Turn], filters: Filters, top_k: int | None) -> Answer:
    """Consume the answer stream (sentences or tokens) and return the verified answer."""
    for event in assistant.stream(line, history=history, filters=filters, top_k=top_k):
        if event.answer is not None:
            return event.answer
    raise BriefsError("the answer stream ended without an answer")
