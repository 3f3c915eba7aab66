"""The MCP server: the briefs as tools and resources for agent tools and desktop assistants.

Tools ``ask``, ``search``, ``list_briefs``, ``get_brief`` and (when writing is allowed) ``ingest``; one resource
per brief, ``brief://{id}``, holding its cleaned text. Served over stdio by ``briefs mcp`` and over Streamable
HTTP at ``/mcp`` of the API app (:mod:`ui.http.mcp_endpoint`). Every tool calls
:class:`~assistant.service.BriefsService`, nothing else; core errors become tool errors in one place
(:meth:`BriefsMCP.call_tool`), where bad arguments also get a message naming the argument, the value and what
is valid.

>>> server = build_server(BriefsService(settings), WritePolicy("local"))   # doctest: +SKIP
>>> server.run("stdio")                                                     # doctest: +SKIP
"""

from __future__ import annotations

import logging
from importlib import metadata
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError, UnexpectedToolError
from mcp_types import CallToolResult, Resource, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import BriefsError, NotFoundError
from assistant.models import BriefMeta, Citation, Filters, SearchHit, Turn
from assistant.service import BriefsService
from ui.mcp_ingest import WritePolicy, add_ingest
from ui.render import public_meta, render_answer

__all__ = ["BriefsMCP", "WritePolicy", "build_server"]

INSTRUCTIONS = (
    "A library of policy briefs (think-tank and government analysis). Use `ask` for a question: its answer is "
    "built only from the briefs, every sentence carries an [n] marker, and each citation's quote is verified "
    "against the brief. Keep the markers and cite title and quote when you pass the answer on. When `abstained` "
    "is true the briefs do not answer the question (its one citation, if any, is the passage saying the value is not "
    "known): say so instead of answering from memory. Use `search` to see "
    "raw passages, `list_briefs` to find brief ids, authors and dates, and `get_brief` to read a brief or the "
    "text around a citation (citations and passages give character offsets into it)."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
FILTER_NAMES = ", ".join(Filters.model_fields)


# -- arguments ---------------------------------------------------------------------------------------
class FilterArgs(Filters):
    """Metadata filters (all optional; combined with AND). Unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", title="Filters")


FiltersArg = Annotated[
    FilterArgs | None,
    Field(
        description=f"Restrict to briefs matching these metadata filters ({FILTER_NAMES}); dates are YYYY-MM-DD."
    ),
]
TopK = Annotated[
    int | None, Field(ge=1, le=100, description="How many passages to return, 1-100 (default 8).")
]


# -- results -----------------------------------------------------------------------------------------
class AskResult(BaseModel):
    """A cited answer: ``text`` has [n] markers; citation n quotes its brief exactly at [start:end]."""

    question: str
    text: str = Field(description="The answer; each sentence ends with [n] markers referring to citations.")
    abstained: bool = Field(
        description="True when the briefs do not answer the question: no citations, or only the passage that says "
        "the asked-for value is not known."
    )
    citations: list[Citation] = Field(description="quote == get_brief(brief_id).text[start:end].")
    query: str = Field(description="The standalone query used for retrieval (follow-ups are rewritten).")


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit] = Field(description="Best first; text == the brief's cleaned text[start:end].")


class BriefList(BaseModel):
    briefs: list[BriefMeta]
    count: int


class BriefText(BriefMeta):
    """A brief's metadata and its cleaned text, or the span [start, end) of it (``chars`` is the full length)."""

    start: int
    end: int
    text: str


class IngestedFile(BaseModel):
    file: str = Field(description="The uploaded file name, or the file's path on the server.")
    status: Literal["added", "updated", "unchanged", "skipped", "failed", "ingested"] = Field(
        description="ingested: written from a server path (added or updated)."
    )
    brief_id: str | None = None
    error: str | None = Field(None, description="Why the file failed or was skipped.")


class IngestResult(BaseModel):
    files: list[IngestedFile]
    briefs: int = Field(description="Briefs in the library afterwards.")


# -- the server --------------------------------------------------------------------------------------
class BriefsMCP(MCPServer):
    """An MCPServer whose tool errors are written for the model: core errors keep their message, unknown or
    invalid arguments are named with the value and what is valid, and a refused ``ingest`` says how to enable it."""

    def __init__(self, service: BriefsService, write: WritePolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service, self.write = service, write

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        tools = {t.name: t for t in await self.list_tools()}
        if name not in tools:
            raise ToolError(self.write.refusal if name == "ingest" else _unknown_tool(name, list(tools)))
        valid = list(tools[name].input_schema.get("properties", {}))
        unknown = [k for k in arguments if k not in valid]
        if unknown:
            raise ToolError(
                f"Invalid arguments for {name}: unknown argument {', '.join(map(repr, unknown))}; "
                f"valid arguments: {', '.join(valid)}."
            )
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError as e:
            if isinstance(e.__cause__, BriefsError):
                raise ToolError(f"Error executing tool {name}: {e.__cause__}") from e.__cause__
            raise
        except ToolError as e:
            if isinstance(e.__cause__, ValidationError):
                raise ToolError(invalid_arguments(name, e.__cause__)) from e.__cause__
            raise

    async def list_resources(self) -> list[Resource]:
        """One ``brief://{id}`` resource per brief (the library changes as briefs are ingested)."""
        return [brief_resource(b) for b in self.service.list_briefs()]


def _unknown_tool(name: str, tools: list[str]) -> str:
    return f"Unknown tool {name!r}; this server has: {', '.join(tools)}."


def invalid_arguments(tool: str, error: ValidationError) -> str:
    """'Invalid arguments for <tool>: <arg>: <what is wrong> (got <value>)' for each problem, joined by '; '."""
    parts = []
    for err in error.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        if err["type"] == "extra_forbidden":
            parts.append(f"{where}: unknown filter {err['loc'][-1]!r}; valid filters: {FILTER_NAMES}")
            continue
        hint = "; use YYYY-MM-DD, e.g. 2024-05-31" if err["type"].startswith("date") else ""
        got = "" if err["type"] == "missing" else f" (got {err['input']!r})"
        parts.append(f"{where}: {err['msg']}{hint}{got}")
    return f"Invalid arguments for {tool}: " + "; ".join(parts) + "."


def brief_resource(meta: BriefMeta) -> Resource:
    who = ", ".join(meta.authors) or meta.organisation or "unknown author"
    return Resource(
        uri=f"brief://{meta.id}",
        name=meta.id,
        title=meta.title,
        description=f"{meta.title} ({who}, {meta.date or 'undated'}): cleaned text, {meta.chars} characters.",
        mime_type="text/plain",
    )


def build_server(service: BriefsService, write: WritePolicy | None = None) -> BriefsMCP:
    """The MCP server over ``service``: four read tools, ``ingest`` when ``write`` allows it, brief resources."""
    write = write or WritePolicy("off")
    level = _sdk_log_level(logging.getLogger().getEffectiveLevel())
    server = BriefsMCP(
        service,
        write,
        name="briefs-assistant",
        title="Briefs Assistant",
        version=_version(),
        instructions=INSTRUCTIONS,
        log_level=level,
    )
    _add_read_tools(server, service)
    add_ingest(server, service, write)

    @server.resource("brief://{brief_id}", mime_type="text/plain", title="Brief text")
    def brief_text(brief_id: str) -> str:
        """A brief's cleaned text: citation offsets [start:end] index into it."""
        try:
            return service.brief_text(brief_id)
        except NotFoundError as e:
            raise ResourceNotFoundError(str(e)) from e

    return server


def _sdk_log_level(level: int) -> Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]:
    """The SDK's name for the root logger's level (it configures logging only when nothing else has)."""
    if level <= logging.DEBUG:
        return "DEBUG"
    if level <= logging.INFO:
        return "INFO"
    return "WARNING" if level <= logging.WARNING else "ERROR" if level <= logging.ERROR else "CRITICAL"


def _version() -> str:
    try:
        return metadata.version("briefs-assistant")
    except metadata.PackageNotFoundError:
        return "0"


def _add_read_tools(server: MCPServer, service: BriefsService) -> None:
    """ask, search, list_briefs, get_brief; each docstring is the description a model chooses by."""

    def ask(
        question: Annotated[
            str, Field(min_length=1, max_length=4000, description="The question, in plain words.")
        ],
        history: Annotated[
            list[Turn] | None,
            Field(description="Earlier turns of this conversation, oldest first, for a follow-up question."),
        ] = None,
        filters: FiltersArg = None,
    ) -> Annotated[CallToolResult, AskResult]:
        """Answer a question from the policy briefs, with verified citations. Returns the answer text, whose
        sentences carry [n] markers, and one citation per marker: brief id, title, authors, date, source URL
        and the exact quote with its character span in the brief (and, for PDF briefs, its page: cite it as
        "p. 4"). When the briefs do not cover the question,
        `abstained` is true (its one citation, if any, is the passage saying the value is not known): report
        that rather than answering from memory.
        Prefer this tool for any question about what the briefs say; use `search` for raw passages."""
        answer = service.ask(question, history=history, filters=filters)
        result = AskResult.model_validate(answer.model_dump())
        return CallToolResult(
            content=[TextContent(type="text", text=render_answer(answer))],
            structured_content=result.model_dump(mode="json"),
        )

    def search(
        query: Annotated[
            str, Field(min_length=1, max_length=4000, description="Words or a question to search for.")
        ],
        filters: FiltersArg = None,
        top_k: TopK = None,
    ) -> SearchResult:
        """Find the passages of the briefs that best match a query (semantic and keyword search fused), best
        first, each with its brief's title, authors, organisation, date, source URL and its character span in
        the brief. No answer is composed: use it to explore what the briefs contain, to find which brief covers
        a topic, or to gather evidence yourself. For a cited answer to a question use `ask`."""
        return SearchResult(query=query, hits=service.search(query, filters=filters, top_k=top_k))

    def list_briefs(filters: FiltersArg = None) -> BriefList:
        """List the briefs in the library with their metadata: id, title, authors, organisation, date, source
        URL, report series and version, size. Use it to find brief ids (for `get_brief` or a brief_id filter)
        or to answer which briefs exist by an author, organisation or date range. Without filters every brief
        is listed, older versions included; with filters only the newest version of each report, unless
        all_versions is true."""
        briefs = service.list_briefs(filters)
        return BriefList(briefs=[BriefMeta.model_validate(public_meta(b)) for b in briefs], count=len(briefs))

    def get_brief(
        id: Annotated[str, Field(min_length=1, description="The brief id, as in citations or list_briefs.")],
        start: Annotated[
            int | None, Field(ge=0, description="First character of the span (default 0).")
        ] = None,
        end: Annotated[
            int | None, Field(ge=0, description="End of the span, exclusive (default: the end of the brief).")
        ] = None,
    ) -> BriefText:
        """Read one brief: its metadata and cleaned text, whole or the span [start, end). Citation and passage
        offsets index into this text, so get_brief(id, start - 300, end + 300) shows a citation in context.
        An unknown id is an error; `list_briefs` gives the valid ids."""
        meta, text = service.get_brief(id), service.brief_text(id)
        lo, hi = _span(start, end, len(text))
        return BriefText.model_validate({**public_meta(meta), "start": lo, "end": hi, "text": text[lo:hi]})

    for tool in (ask, search, list_briefs, get_brief):
        server.add_tool(tool, description=" ".join((tool.__doc__ or "").split()), annotations=READ_ONLY)


def _span(start: int | None, end: int | None, length: int) -> tuple[int, int]:
    lo, hi = start or 0, length if end is None else end
    if lo > length:
        raise ToolError(f"start: {lo} is past the end of the brief; valid: 0 to {length} (its length).")
    if hi > length:
        raise ToolError(f"end: {hi} is past the end of the brief; valid: {lo} to {length} (its length).")
    if hi < lo:
        raise ToolError(f"end: {hi} is before start ({lo}); valid: {lo} to {length}.")
    return lo, hi
