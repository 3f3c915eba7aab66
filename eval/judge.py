"""Optional LLM-as-judge: llama-index's FaithfulnessEvaluator and CorrectnessEvaluator on the configured
OpenAI-compatible server (``settings.llm.base_url``), only when asked for with ``--judge``.

- **judge_faithfulness**: 1 when the judge finds the answer supported by the retrieved passages, else 0;
- **judge_correctness**: the judge's 1-5 score against the reference answer, divided by 5.

Abstentions and items without a reference answer (for correctness) are not judged.

>>> judge, note = make_judge(settings, enabled=True)   # doctest: +SKIP
>>> note                                               # doctest: +SKIP
'skipped: --judge needs an OpenAI-compatible server; set BRIEFS_LLM__BASE_URL'
"""

from __future__ import annotations

import logging
import os

from assistant.errors import ConfigError
from assistant.models import Answer
from assistant.settings import Settings
from eval.datasets import EvalItem
from eval.metrics import answer_text

logger = logging.getLogger(__name__)


class LLMJudge:
    """Scores answers with llama-index evaluators on an OpenAI-compatible server."""

    def __init__(self, settings: Settings) -> None:
        from llama_index.core.evaluation import CorrectnessEvaluator, FaithfulnessEvaluator

        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as e:
            raise ConfigError(
                "--judge needs llama-index-llms-openai-like; install it with: pip install -e '.[judge]'"
            ) from e

        cfg = settings.llm
        key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
        if cfg.api_key_env and not key:
            raise ConfigError(
                f"BRIEFS_LLM__API_KEY_ENV names {cfg.api_key_env!r}, but that environment variable is empty"
            )
        llm = OpenAILike(
            model=cfg.model,
            api_base=cfg.base_url,
            api_key=key or "not-needed",
            is_chat_model=True,
            temperature=0.0,
            timeout=cfg.timeout_s,
            max_retries=cfg.max_retries,
            context_window=cfg.context_window,
        )
        self.faithfulness = FaithfulnessEvaluator(llm=llm)
        self.correctness = CorrectnessEvaluator(llm=llm)
        self.name = f"openai-like:{cfg.model}@{cfg.base_url}"

    def judge(self, item: EvalItem, answer: Answer) -> dict[str, float | None]:
        """``{"judge_faithfulness": 0|1|None, "judge_correctness": 0..1|None}`` for one answer."""
        if answer.abstained or not item.answerable:
            return {"judge_faithfulness": None, "judge_correctness": None}
        text = answer_text(answer.text)
        out: dict[str, float | None] = {"judge_faithfulness": None, "judge_correctness": None}
        try:
            faithful = self.faithfulness.evaluate(
                query=item.query, response=text, contexts=[p.text for p in answer.passages]
            )
            out["judge_faithfulness"] = 1.0 if faithful.passing else 0.0
            if item.reference_answer:
                correct = self.correctness.evaluate(
                    query=item.query, response=text, reference=item.reference_answer
                )
                out["judge_correctness"] = None if correct.score is None else float(correct.score) / 5.0
        except Exception as e:  # noqa: BLE001  # the judge is best-effort: a server error must not lose the whole run
            logger.warning("LLM judge failed on %s: %s", item.id, e)
        return out


def make_judge(settings: Settings, enabled: bool) -> tuple[LLMJudge | None, str]:
    """(the judge or None, a note for the report saying which judge ran or why none did)."""
    if not enabled:
        return None, "off (pass --judge)"
    if not settings.llm.base_url:
        note = "skipped: --judge needs an OpenAI-compatible server; set BRIEFS_LLM__BASE_URL"
        logger.warning("LLM judge %s", note)
        return None, note
    judge = LLMJudge(settings)
    return judge, judge.name
