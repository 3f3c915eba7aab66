"""The web chat (Gradio), mounted at "/" of the HTTP app: ask the briefs, check every [n] in one click,
filter, export, and manage the library. It calls the same :class:`~assistant.service.BriefsService` as the API.

Nothing is fetched from the internet: the theme uses system fonts and analytics are off.

>>> app = mount_web(FastAPI(), BriefsService(get_settings({"data_dir": "data"})))    # doctest: +SKIP
>>> uvicorn.run(app, host="127.0.0.1", port=7860)                      # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.errors import BriefsError
from assistant.models import UPLOAD_SUFFIXES as ALLOWED_SUFFIXES
from assistant.models import Filters, Turn
from assistant.service import BriefsService
from assistant.settings import Settings
from ui.auth import bearer_token, key_is_valid
from ui.web import library
from ui.web.assets import CONFIRM_DELETE_JS, COPY_JS, CSS, JS, UPLOAD_KEY_SCRIPT, make_theme
from ui.web.render import (
    ChatTurn,
    conversation_markdown,
    describe_filters,
    render_answer_html,
    render_conversation_sources_html,
    render_error_html,
    render_library_html,
    render_pending_html,
    render_sources_html,
    render_status_html,
    render_summary_html,
    render_user_html,
)

__all__ = ["build_blocks", "mount_web", "parse_filters", "render_answer_html", "render_sources_html"]

logger = logging.getLogger(__name__)

TITLE = "Briefs Assistant"
ASK_CONCURRENCY = (
    4  # questions run concurrently (as in the HTTP API); ingest and delete are serialised by the service
)


@dataclass
class FilterUI:
    accordion: gr.Accordion
    author: gr.Dropdown
    organisation: gr.Dropdown
    briefs: gr.Dropdown
    date_from: gr.Textbox
    date_to: gr.Textbox
    clear: gr.Button

    def inputs(self) -> list[Any]:
        return [self.author, self.organisation, self.briefs, self.date_from, self.date_to]


@dataclass
class ChatUI:
    chatbot: gr.Chatbot
    question: gr.Textbox
    ask: gr.Button
    clear: gr.Button
    examples: list[gr.Button]
    filters: FilterUI
    sources: gr.HTML
    turns: gr.State
    markdown: gr.Textbox
    download: gr.DownloadButton
    copy: gr.Button


@dataclass
class LibraryUI:
    listing: gr.HTML
    upload: gr.File
    key: gr.Textbox
    status: gr.HTML
    choice: gr.Dropdown
    delete: gr.Button


# -- building -------------------------------------------------------------------------------------
def build_blocks(service: BriefsService) -> gr.Blocks:
    """The whole page: a Chat tab and a Library tab, wired to ``service``."""
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 86400)) as blocks:
        gr.Markdown(
            f"# {TITLE}\nAsk the policy briefs. Every claim cites the passage it comes from; "
            "select a [n] marker to see it highlighted."
        )
        summary = gr.HTML("", elem_id="ba-summary", js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat = _build_chat(service.settings.web.example_count)
            with gr.Tab("Library", id="library") as library_tab:
                lib = _build_library(service)
        _wire_chat(service, chat, Path(tempfile.mkdtemp(prefix="briefs-web-")))
        refresh = _refresh_outputs(lib, chat.filters, summary) + chat.examples
        for event in (blocks.load, library_tab.select):  # other clients and the API change the library too
            event(partial(library_updates, service), chat.filters.briefs, refresh, show_progress="hidden")
        _wire_library(service, lib, chat.filters, refresh)
    return blocks


def _build_chat(example_count: int) -> ChatUI:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            chatbot = gr.Chatbot(
                label="Conversation",
                height=460,
                render_markdown=False,
                buttons=[],
                feedback_options=None,
                elem_id="ba-chat",
                placeholder="Ask a question about the briefs. Answers cite their sources as [n].",
            )
            with gr.Row(equal_height=True):
                question = gr.Textbox(
                    show_label=False,
                    placeholder="Ask about the briefs and press Enter",
                    scale=5,
                    min_width=180,
                    autofocus=True,
                    elem_id="ba-question",
                    max_length=2000,
                )
                ask = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ba-ask")
            with gr.Row():
                # filled from the library on page load (library_updates): questions about the briefs actually there
                buttons = [
                    gr.Button("", size="sm", elem_classes=["ba-example"], visible=False)
                    for _ in range(example_count)
                ]
            filters = _build_filters()
            download, copy, clear, markdown = _build_export_row()
        with gr.Column(scale=2, min_width=300):
            gr.Markdown("### Sources")
            sources = gr.HTML(
                render_conversation_sources_html([], None), elem_id="ba-sources", js_on_load=None
            )
    return ChatUI(
        chatbot, question, ask, clear, buttons, filters, sources, gr.State([]), markdown, download, copy
    )


def _build_filters() -> FilterUI:
    with gr.Accordion("Filters", open=False, elem_id="ba-filters") as accordion:
        with gr.Row():
            author = gr.Dropdown(
                label="Author",
                choices=[],
                value=None,
                allow_custom_value=True,
                elem_id="ba-author",
                info="Any part of a name, e.g. Lindqvist",
            )
            organisation = gr.Dropdown(
                label="Organisation",
                choices=[],
                value=None,
                allow_custom_value=True,
                elem_id="ba-organisation",
            )
        briefs = gr.Dropdown(label="Briefs", choices=[], value=[], multiselect=True, elem_id="ba-briefs")
        with gr.Row():
            date_from = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD", elem_id="ba-date-from")
            date_to = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD", elem_id="ba-date-to")
        clear = gr.Button("Clear filters", size="sm")
    return FilterUI(accordion, author, organisation, briefs, date_from, date_to, clear)


def _build_export_row() -> tuple[gr.DownloadButton, gr.Button, gr.Button, gr.Textbox]:
    with gr.Row():
        download = gr.DownloadButton("Export .md", size="sm", interactive=False, elem_id="ba-download")
        copy = gr.Button("Copy as Markdown", size="sm", interactive=False, elem_id="ba-copy")
        clear = gr.Button("New conversation", size="sm", elem_id="ba-clear")
    markdown = gr.Textbox(visible=False, elem_id="ba-markdown")
    return download, copy, clear, markdown


def _build_library(service: BriefsService) -> LibraryUI:
    access = library.write_access(service.settings)
    listing = gr.HTML(render_library_html([]), elem_id="ba-library", js_on_load=None)
    gr.Markdown("### Add or remove briefs")
    if access == "disabled":
        gr.Markdown(library.check_write(service.settings, None) or "")
    key = gr.Textbox(
        label="API key",
        type="password",
        visible=access == "key",
        elem_id="ba-key",
        info="Needed to upload or delete: one of BRIEFS_API_KEYS.",
    )
    upload = gr.File(
        label=f"Upload briefs ({' '.join(ALLOWED_SUFFIXES)})",
        file_count="multiple",
        height=150,
        file_types=list(ALLOWED_SUFFIXES),
        elem_id="ba-upload",
        interactive=access != "disabled",
    )
    status = gr.HTML("", elem_id="ba-status", js_on_load=None)
    with gr.Row(equal_height=True):
        choice = gr.Dropdown(
            label="Brief to delete", choices=[], value=None, scale=3, elem_id="ba-delete-choice"
        )
        delete = gr.Button(
            "Delete brief", variant="stop", scale=1, elem_id="ba-delete", interactive=access != "disabled"
        )
    return LibraryUI(listing, upload, key, status, choice, delete)


# -- chat -----------------------------------------------------------------------------------------
def _wire_chat(service: BriefsService, ui: ChatUI, export_dir: Path) -> None:
    respond = partial(ask_stream, service, export_dir)
    inputs = [ui.question, ui.turns, *ui.filters.inputs()]
    outputs = [ui.chatbot, ui.question, ui.sources, ui.turns, ui.markdown, ui.download, ui.copy]
    opts: dict[str, Any] = {"show_progress": "hidden", "concurrency_limit": ASK_CONCURRENCY}
    ui.question.submit(respond, inputs, outputs, **opts)
    ui.ask.click(respond, inputs, outputs, **opts)
    for button in ui.examples:
        button.click(lambda q: q, button, ui.question, show_progress="hidden").then(
            respond, inputs, outputs, **opts
        )
    ui.clear.click(_new_conversation, None, outputs, show_progress="hidden")
    ui.chatbot.clear(_new_conversation, None, outputs, show_progress="hidden")
    ui.copy.click(None, ui.markdown, None, js=COPY_JS)
    f = ui.filters
    f.clear.click(lambda: (None, None, [], "", ""), None, f.inputs(), show_progress="hidden")
    for component in f.inputs():
        component.change(_filters_label, f.inputs(), f.accordion, show_progress="hidden")


def ask_stream(
    service: BriefsService, export_dir: Path, question: str, turns: list[ChatTurn], *filter_values: Any
) -> Iterator[tuple[Any, ...]]:
    """Event handler: stream the answer to ``question`` into the chat, then show its sources."""
    question = (question or "").strip()
    if not question:
        yield (gr.skip(),) * 7
        return
    try:
        filters = parse_filters(*filter_values)
    except ValueError as e:
        gr.Warning(str(e))
        yield (gr.skip(),) * 7
        return
    turns = [*turns, ChatTurn(question, filters=filters)]
    yield _chat_messages(turns, ""), "", render_conversation_sources_html(turns, service), *(gr.skip(),) * 4
    text = ""
    try:
        for event in service.stream(question, _history(turns[:-1]), filters):
            if event.answer is not None:
                turns[-1].answer = event.answer  # verified: replaces the streamed text
            else:
                text += event.text
                yield _chat_messages(turns, text), *(gr.skip(),) * 6
    except BriefsError as e:
        logger.warning("web question failed: %s", e)
        turns[-1].error = str(e)
    yield _final_outputs(service, export_dir, turns)


def _final_outputs(service: BriefsService, export_dir: Path, turns: list[ChatTurn]) -> tuple[Any, ...]:
    markdown = conversation_markdown(turns)
    path = _write_export(export_dir, markdown)
    return (
        _chat_messages(turns),
        gr.skip(),
        render_conversation_sources_html(turns, service),
        turns,
        markdown,
        gr.DownloadButton(value=str(path), interactive=True),
        gr.Button(interactive=True),
    )


def _write_export(export_dir: Path, markdown: str, keep_s: float = 3600) -> Path:
    """Write the export file (Gradio serves a copy); files older than ``keep_s`` are removed."""
    cutoff = time.time() - keep_s
    for old in export_dir.glob("briefs-conversation-*.md"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    path = export_dir / f"briefs-conversation-{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}.md"
    path.write_text(markdown, encoding="utf-8")
    return path


def _new_conversation() -> tuple[Any, ...]:
    return (
        [],
        "",
        render_conversation_sources_html([], None),
        [],
        "",
        gr.DownloadButton(value=None, interactive=False),
        gr.Button(interactive=False),
    )


def _chat_messages(turns: list[ChatTurn], pending: str | None = None) -> list[dict[str, str]]:
    """Chatbot messages (HTML) for ``turns``; the last one still streaming when ``pending`` is given."""
    messages = []
    for i, t in enumerate(turns, 1):
        messages.append({"role": "user", "content": render_user_html(t.question)})
        if t.answer is not None:
            content = render_answer_html(t.answer, i, t.filters)
        elif t.error:
            content = render_error_html(t.error)
        else:
            content = render_pending_html(pending or "", i)
        messages.append({"role": "assistant", "content": content})
    return messages


def _history(turns: list[ChatTurn]) -> list[Turn]:
    history: list[Turn] = []
    for t in turns:
        if t.answer is not None:
            history += [Turn(role="user", content=t.question), Turn(role="assistant", content=t.answer.text)]
    return history


def parse_filters(
    author: str | None,
    organisation: str | None,
    brief_ids: list[str] | None,
    date_from: str | None,
    date_to: str | None,
) -> Filters:
    """Filters from the form; ValueError with a message naming the field and what is valid."""
    try:
        return Filters(
            author=(author or "").strip() or None,
            organisation=(organisation or "").strip() or None,
            brief_id=list(brief_ids) or None if brief_ids else None,
            date_from=_parse_date("Published from", date_from),
            date_to=_parse_date("Published until", date_to),
        )
    except ValidationError as e:
        raise ValueError(
            "Filters: " + "; ".join(err["msg"].removeprefix("Value error, ") for err in e.errors())
        ) from e


def _parse_date(label: str, value: str | None) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{label}: {value!r} is not a date; use YYYY-MM-DD, e.g. 2024-03-14.") from None


def _filters_label(*values: Any) -> gr.Accordion:
    try:
        summary = describe_filters(parse_filters(*values))
    except ValueError:
        summary = "invalid date"
    return gr.Accordion(label=f"Filters ({summary})" if summary else "Filters")


# -- library --------------------------------------------------------------------------------------
def _refresh_outputs(ui: LibraryUI, filters: FilterUI, summary: gr.HTML) -> list[Any]:
    return [summary, ui.listing, ui.choice, filters.author, filters.organisation, filters.briefs]


def _wire_library(
    service: BriefsService, ui: LibraryUI, filters: FilterUI, refresh_outputs: list[Any]
) -> None:
    ui.upload.upload(
        partial(upload_files, service),
        [ui.upload, ui.key, filters.briefs],
        [ui.status, ui.upload, *refresh_outputs],
        show_progress="full",
    )
    ui.delete.click(
        partial(delete_choice, service),
        [ui.choice, ui.key, filters.briefs],
        [ui.status, *refresh_outputs],
        js=CONFIRM_DELETE_JS,
    )


def library_updates(service: BriefsService, selected: list[str] | None = None) -> tuple[Any, ...]:
    """The library listing, every dropdown that lists briefs, authors or organisations, and the example questions."""
    briefs = service.list_briefs()
    questions = library.example_questions(briefs, service.settings.web)
    examples = [gr.Button(value=q, visible=True) for q in questions]
    examples += [gr.Button(visible=False)] * (service.settings.web.example_count - len(examples))
    authors, organisations = library.filter_choices(briefs)
    choices = library.brief_choices(briefs)
    ids = {i for _, i in choices}
    kept = [s for s in selected or [] if s in ids]
    return (
        render_summary_html(briefs),
        render_library_html(briefs),
        gr.Dropdown(choices=choices, value=None),
        gr.Dropdown(choices=authors),
        gr.Dropdown(choices=organisations),
        gr.Dropdown(choices=choices, value=kept),
        *examples,
    )


def upload_files(
    service: BriefsService,
    files: list[str] | None,
    key: str | None,
    selected: list[str] | None,
    progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's progress idiom
) -> tuple[Any, ...]:
    """Event handler: ingest the uploaded files, report each by name, refresh the library."""
    paths = [str(f) for f in files or []]
    denied = library.check_write(service.settings, key)
    outcome: library.Outcome = (
        ([], [(Path(p).name, denied) for p in paths])
        if denied
        else library.upload_briefs(service, paths, lambda frac, desc: progress(frac, desc=desc))
    )
    return render_status_html(*outcome), None, *library_updates(service, selected)


def delete_choice(
    service: BriefsService, brief_id: str | None, key: str | None, selected: list[str] | None
) -> tuple[Any, ...]:
    """Event handler: delete the chosen brief (the page asked for confirmation first)."""
    denied = library.check_write(service.settings, key)
    outcome: library.Outcome = (
        ([], [(brief_id or "delete", denied)]) if denied else library.delete_brief(service, brief_id)
    )
    return render_status_html(*outcome), *library_updates(service, selected)


# -- mounting -------------------------------------------------------------------------------------
def mount_web(app: FastAPI, service: BriefsService, path: str = "/") -> FastAPI:
    """Mount the web chat on ``app`` at ``path`` (after the app's own routes, which keep precedence)."""
    max_mb = service.settings.ingest.max_file_mb
    settings = service.settings
    login = {}
    if settings.api_auth_all:  # the page is protected like the API: sign in with an API key as the password
        login = {
            "auth": lambda _user, password: key_is_valid(settings, password, write=False),
            "auth_message": "Sign in with any user name and an API key (BRIEFS_API_KEYS) as the password.",
        }
    app.add_middleware(UploadGuard, settings=settings)
    mounted = gr.mount_gradio_app(
        app,
        build_blocks(service),
        head=UPLOAD_KEY_SCRIPT,
        path=path,
        theme=make_theme(),
        css=CSS,
        js=JS,
        footer_links=["api", "settings"],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        # a little over the ingest limit, so that uploads.check_size names the file and the limit
        max_file_size=f"{int(max_mb * 2) + 1}mb",
        **login,
    )
    if login:
        app.state.web_session = partial(web_user, app)
    return mounted


def web_user(app: FastAPI, request: Any) -> str | None:
    """The user signed in to the web chat mounted on ``app`` (from Gradio's session cookie), or None."""
    from gradio.routes import App

    for route in app.routes:
        sub = getattr(route, "app", None)
        if isinstance(sub, App):
            cookie = request.cookies.get(f"access-token-{sub.cookie_id}") or request.cookies.get(
                f"access-token-unsecure-{sub.cookie_id}"
            )
            user = sub.tokens.get(cookie) if cookie else None
            return str(user) if user else None
    return None


class UploadGuard:
    """ASGI middleware on Gradio's own upload endpoint (where the page sends a file before our handler sees it):
    only a caller who may write in the web UI gets to store a file there (:func:`ui.web.library.upload_denied`).
    The page sends the API key it was given as ``Authorization: Bearer`` (see ``UPLOAD_KEY_SCRIPT``)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/").endswith(("/gradio_api/upload", "/upload")):
            headers = {k.decode().lower(): v.decode(errors="replace") for k, v in scope["headers"]}
            denied = library.upload_denied(self.settings, bearer_token(headers.get("authorization")))
            if denied is not None:
                body = {"error": {"message": denied.message, "type": "permission_error", "code": denied.code}}
                await JSONResponse(body, denied.status)(scope, receive, send)
                return
        await self.app(scope, receive, send)
