"""The native question API: ``POST /v1/ask`` (the full Answer), ``/v1/ask/stream`` and ``/v1/retrieve``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.models import Answer, Filters, Mode, SearchHit, StreamEvent, Turn
from ui.http.routers.common import (
    MAX_CONVERSATION_CHARS,
    MAX_MESSAGES,
    MAX_QUESTION_CHARS,
    SSE_HEADERS,
    ServiceDep,
    errors,
    sse,
    sse_with_errors,
)

router = APIRouter(prefix="/v1", tags=["Questions"])


class AskBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "What did the visit achieve?",
                    "history": [
                        {"role": "user", "content": "Tell me about Blinken's trip to Beijing."},
                        {"role": "assistant", "content": "Blinken visited Beijing in June 2023 [1]."},
                    ],
                    "filters": {"date_from": "2023-01-01"},
                    "top_k": 8,
                }
            ]
        }
    )

    question: str = Field(
        ...,
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="The question; a follow-up when history is given.",
    )
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_MESSAGES,
        description=f"Earlier turns, oldest first (at most {MAX_MESSAGES}, {MAX_CONVERSATION_CHARS:,} characters in all).",
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must contain more than whitespace")
        return v.strip()

    @field_validator("history")
    @classmethod
    def _bounded(cls, v: list[Turn]) -> list[Turn]:
        total = sum(len(t.content) for t in v)
        if total > MAX_CONVERSATION_CHARS:
            raise ValueError(
                f"the history has {total:,} characters, over the limit of {MAX_CONVERSATION_CHARS:,}"
            )
        return v

    filters: Filters | None = Field(None, description="Metadata filters for retrieval.")
    top_k: int | None = Field(
        None, ge=1, le=100, description="Passages to retrieve (default: settings.retrieval.top_k)."
    )


class RetrieveBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"query": "icebreaker fleet", "top_k": 5, "mode": "hybrid"}]}
    )

    query: str = Field(
        ..., min_length=1, max_length=4000, description="Search text, used as is (no rewriting)."
    )
    filters: Filters | None = Field(None, description="Metadata filters.")
    top_k: int | None = Field(None, ge=1, le=100, description="Passages to return.")
    mode: Mode = Field("hybrid", description="hybrid (dense + BM25 fused), dense or bm25.")


class RetrieveResponse(BaseModel):
    query: str
    mode: Mode
    passages: list[SearchHit]


@router.post(
    "/ask",
    response_model=Answer,
    summary="Answer a question with verified [n] citations",
    responses=errors(400, 401, 409, 422, 502, 503),
)
def ask(body: AskBody, service: ServiceDep) -> Answer:
    return service.ask(body.question, history=body.history, filters=body.filters, top_k=body.top_k)


@router.post(
    "/ask/stream",
    responses=errors(400, 401, 409, 422, 503),
    summary="Stream an answer: 'delta' events with draft text, then one 'answer' event",
    response_class=StreamingResponse,
)
def ask_stream(body: AskBody, service: ServiceDep) -> StreamingResponse:
    """Server-sent events, each ``data: <StreamEvent JSON>``, ending with ``data: [DONE]``. The final
    ``answer`` event carries the verified Answer, whose text replaces the drafted deltas."""
    events = service.stream(body.question, history=body.history, filters=body.filters, top_k=body.top_k)
    first = next(events, None)  # retrieval runs here, so its errors still get a proper status code
    return StreamingResponse(
        sse_with_errors(_frames(first, events)), media_type="text/event-stream", headers=SSE_HEADERS
    )


def _frames(first: StreamEvent | None, rest: Iterator[StreamEvent]) -> Iterator[str]:
    if first is not None:
        yield sse(first.to_json())
    for event in rest:
        yield sse(event.to_json())


@router.post(
    "/retrieve",
    responses=errors(400, 401, 422, 503),
    response_model=RetrieveResponse,
    summary="Ranked passages with scores and brief metadata",
)
def retrieve(body: RetrieveBody, service: ServiceDep) -> dict[str, Any]:
    hits = service.search(body.query, filters=body.filters, top_k=body.top_k, mode=body.mode)
    return {"query": body.query, "mode": body.mode, "passages": hits}
