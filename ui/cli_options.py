"""Command-line options built from the settings model, so a setting's type, choices and help live in one place
(:class:`assistant.settings.Settings`): ``--data-dir`` and ``--answerer`` are generated from their fields, every
other setting is reachable with ``--set section.key=value``, and ``--settings NAME`` picks a profile.

>>> @click.command()
... @settings_options("data_dir", "answerer")
... def cmd(settings): ...
"""

from __future__ import annotations

import functools
import logging
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from assistant.errors import BriefsError
from assistant.settings import Settings, get_settings, profile_names

NOISY_LOGGERS = ("transformers", "sentence_transformers", "bm25s", "httpx", "chromadb", "mcp")


def _option_for(name: str) -> click.Option:
    """A ``--name`` option with the field's type, choices and description; unset (None) means "from settings"."""
    field = Settings.model_fields[name]
    annotation = field.annotation
    args: list[Any] = (
        [a for a in typing.get_args(annotation) if a is not type(None)]
        if isinstance(annotation, types.UnionType)
        else []
    )
    base = args[0] if len(args) == 1 else annotation
    kind: Any = None
    if typing.get_origin(base) is typing.Literal:
        kind = click.Choice([str(v) for v in typing.get_args(base)])
    elif base is Path:
        kind = click.Path(file_okay=False, path_type=Path)
    elif base in (int, float, str):
        kind = base
    flag = "--" + name.replace("_", "-")
    return click.Option([flag], type=kind, default=None, help=f"{field.description} [setting: {name}]")


def _set_option(overrides: dict[str, Any], spec: str) -> None:
    key, sep, value = spec.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(
            f"{spec!r}: use KEY=VALUE with a settings path, e.g. chunk.size=64 or retrieval.top_k=3",
            param_hint="--set",
        )
    node = overrides
    *parents, leaf = key.strip().split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


def configure_logging(verbose: int) -> None:
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def build_settings(profile: str | None, sets: tuple[str, ...], named: dict[str, Any]) -> Settings:
    """Settings from a profile, ``--set`` overrides and the named options; errors become a clean ``Error: …``."""
    overrides: dict[str, Any] = {}
    for spec in sets:
        _set_option(overrides, spec)
    overrides.update({k: v for k, v in named.items() if v is not None})
    try:
        return get_settings(profile, **overrides) if profile else get_settings(overrides)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc']))}: {err['msg']} (got {err.get('input')!r})" for err in e.errors()
        )
        raise click.ClickException(f"Invalid settings: {problems}") from e
    except (ValueError, BriefsError) as e:
        raise click.ClickException(f"Invalid settings: {e}") from e


def settings_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``--settings``, ``--set``, ``-v`` and one option per named setting; the command gets ``settings=``.
    A BriefsError raised by the command becomes ``Error: …`` with exit code 1."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(
            *args: Any, profile: str | None, sets: tuple[str, ...], verbose: int, **kwargs: Any
        ) -> Any:
            configure_logging(verbose)
            named = {n: kwargs.pop(n) for n in names}
            settings = build_settings(profile, sets, named)
            try:
                return func(*args, settings=settings, **kwargs)
            except BriefsError as e:
                raise click.ClickException(str(e)) from e

        params = [_option_for(n) for n in names] + [
            click.Option(
                ["--settings", "profile"],
                default=None,
                metavar="PROFILE",
                help=f"Settings profile ({', '.join(profile_names())}; default: $BRIEFS_PROFILE or default).",
            ),
            click.Option(
                ["--set", "sets"],
                multiple=True,
                metavar="KEY=VALUE",
                help="Override any setting, e.g. --set chunk.size=64 (repeatable; see `briefs settings show`).",
            ),
            click.Option(["-v", "--verbose"], count=True, help="More logging (-vv for debug)."),
        ]
        wrapper.__click_params__ = getattr(func, "__click_params__", []) + list(reversed(params))  # type: ignore[attr-defined]
        return wrapper

    return decorate
