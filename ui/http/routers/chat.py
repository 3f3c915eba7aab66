"""OpenAI-compatible chat: ``POST /v1/chat/completions`` and ``GET /v1/models``.

The last user message is the question and earlier user/assistant messages are the history. The reply's
text carries ``[n]`` markers; the response object (and the final stream chunk) adds ``citations`` and
``abstained``. Streams send only verified text: an LLM draft is checked against its citations before any
of it goes out, since an OpenAI client cannot take back text it was already sent (``/v1/ask/stream``
streams the draft live and then the verified answer).

>>> client = OpenAI(base_url="http://127.0.0.1:7860/v1", api_key="…")                  # doctest: +SKIP
>>> client.chat.completions.create(model="briefs-assistant", messages=[...]).citations  # doctest: +SKIP
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.models import Answer, Filters, StreamEvent, Turn
from ui.http.routers.common import (
    MAX_CONVERSATION_CHARS,
    MAX_MESSAGES,
    MAX_QUESTION_CHARS,
    MODEL_ID,
    SSE_HEADERS,
    ApiError,
    ServiceDep,
    errors,
    sse,
    sse_with_errors,
)

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

KEEPALIVE_S = 2.0


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    """One message. ``tool``, ``function``, ``system`` and ``developer`` messages are accepted and ignored: the
    answer comes from the briefs, and only user and assistant turns make the conversation."""

    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


USER_MESSAGE: dict[str, Any] = {
    "description": "At least one message has role 'user' and content with text.",
    "type": "object",
    "required": ["role", "content"],
    "properties": {
        "role": {"const": "user"},
        "content": {
            "anyOf": [
                {"type": "string", "pattern": "\\S"},
                {
                    "type": "array",
                    "contains": {
                        "type": "object",
                        "required": ["type", "text"],
                        "properties": {"type": {"const": "text"}, "text": {"type": "string", "pattern": "\\S"}},
                    },
                },
            ]
        },
    },
}


class ChatBody(BaseModel):
    """OpenAI chat request; unknown OpenAI parameters (temperature, n, user…) are accepted and ignored."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL_ID,
                    "messages": [{"role": "user", "content": "What did Blinken's visit to Beijing achieve?"}],
                    "stream": False,
                    "filters": {"author": None, "date_from": None},
                }
            ]
        },
    )

    model: str = Field(MODEL_ID, description=f"Any name is accepted; answers always come from {MODEL_ID!r}.")
    messages: list[ChatMessage] = Field(
        ...,
        min_length=1,
        max_length=MAX_MESSAGES,
        description=f"The conversation; the last user message is the question (at most {MAX_QUESTION_CHARS} characters), "
        f"earlier user and assistant messages are its history; at most {MAX_MESSAGES} messages and "
        f"{MAX_CONVERSATION_CHARS:,} characters in all. Other roles are ignored.",
        # what split_conversation requires, said in the schema so that clients and generators know it
        json_schema_extra={"contains": USER_MESSAGE},
    )
    stream: bool = Field(
        False,
        description="Send server-sent events (chat.completion.chunk objects) ending with 'data: [DONE]'.",
    )
    filters: Filters | None = Field(None, description="Extra field: metadata filters for retrieval.")
    top_k: int | None = Field(None, ge=1, le=100, description="Extra field: passages to retrieve.")


def split_conversation(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """(question, history): the last user message with text, and the user/assistant turns before it."""
    total = sum(len(m.text()) for m in messages)
    if total > MAX_CONVERSATION_CHARS:
        raise ApiError(
            413,
            f"messages: the conversation has {total:,} characters, over the limit of "
            f"{MAX_CONVERSATION_CHARS:,}; send fewer or shorter earlier turns.",
            "conversation_too_long",
        )
    last = next(
        (i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user" and messages[i].text().strip()),
        None,
    )  # the last user message with text (an empty one after it says nothing)
    if last is None:
        raise ApiError(
            422,
            "messages: needs at least one message with role 'user' and non-empty content.",
            "no_user_message",
        )
    question = messages[last].text().strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise ApiError(
            422,
            f"messages[{last}].content: the question has {len(question):,} characters, over the limit "
            f"of {MAX_QUESTION_CHARS}.",
            "question_too_long",
        )
    history = [
        Turn(role=m.role, content=m.text())
        for m in messages[:last]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return question, history


def _extras(answer: Answer) -> dict[str, Any]:
    """What an OpenAI client gets beyond the text: the citations, the abstention and the answer's structured form."""
    extras: dict[str, Any] = {
        "citations": [c.model_dump() for c in answer.citations],
        "abstained": answer.abstained,
        "kind": answer.kind,
    }
    if answer.briefs:
        extras["briefs"] = [b.model_dump() for b in answer.briefs]
    if answer.table:
        extras["table"] = [r.model_dump() for r in answer.table]
    return extras


@router.get("/models", summary="List the models (one: the briefs assistant)")
def list_models() -> dict[str, Any]:
    return {"object": "list", "data": [_model_card()]}


@router.get("/models/{model_id}", summary="One model", responses=errors(404))
def get_model(model_id: str) -> dict[str, Any]:
    if model_id != MODEL_ID:
        raise ApiError(
            404,
            f"No model {model_id!r}; the only model is {MODEL_ID!r}.",
            "model_not_found",
            "not_found_error",
        )
    return _model_card()


def _model_card() -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "briefs-assistant"}


@router.post(
    "/chat/completions",
    responses={
        200: {
            "description": "A chat.completion object, or with stream=true server-sent chat.completion.chunk events",
            "content": {"application/json": {}, "text/event-stream": {}},
        },
        **errors(400, 401, 409, 413, 422, 502, 503),
    },
    summary="Answer the last user message from the briefs (OpenAI-compatible)",
    response_model=None,
)
def chat_completions(body: ChatBody, service: ServiceDep) -> dict[str, Any] | StreamingResponse:
    question, history = split_conversation(body.messages)
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        answer = service.ask(question, history=history, filters=body.filters, top_k=body.top_k)
        return {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            **_extras(answer),
        }
    events = service.stream(question, history=history, filters=body.filters, top_k=body.top_k)
    first = next(events, None)  # retrieval runs here, so its errors still get a proper status code
    frames = _chunks(cid, created, _prepend(first, events))
    return StreamingResponse(sse_with_errors(frames), media_type="text/event-stream", headers=SSE_HEADERS)


def _prepend(first: StreamEvent | None, rest: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
    if first is not None:
        yield first
    yield from rest


def _chunks(cid: str, created: int, events: Iterator[StreamEvent]) -> Iterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return sse(
            {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                **extra,
            }
        )

    yield chunk({"role": "assistant", "content": ""})
    last_beat = time.monotonic()
    for event in events:
        if event.answer is None:
            if (
                time.monotonic() - last_beat > KEEPALIVE_S
            ):  # the draft is not sent; keep proxies and clients waiting
                last_beat = time.monotonic()
                yield ": drafting\n\n"
            continue
        for piece in re.findall(r"\S+\s*|\s+", event.answer.text):
            yield chunk({"content": piece})
        yield chunk({}, "stop", **_extras(event.answer))
