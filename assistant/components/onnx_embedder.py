"""A sentence-transformers model (BERT family, mean pooling) on ONNX Runtime: the question path loads it with
``onnxruntime`` and ``tokenizers`` only, so answering a question never imports torch or transformers.

The ONNX file is exported once from the local model folder (torch and transformers are needed for that step
only), fused by ONNX Runtime's transformer optimizer and, for ``precision="int8"``, dynamically quantised
(per-channel int8 weights of the MatMul and Attention nodes). It is cached by the model's content, the
precision and the ONNX Runtime version, and written atomically, so concurrent first uses are safe.

>>> emb = OnnxEmbedder(bundled_model_path(), cache_dir=Path("~/.cache/briefs-assistant/onnx").expanduser())  # doctest: +SKIP
>>> emb.embed(["a brief"]).shape                                                                             # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assistant.components.embedders import model_digest
from assistant.errors import ConfigError
from assistant.models import SentenceVectors

logger = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]
EXPORT_VERSION = "1"  # bump when the export, fusion or quantisation recipe changes


def onnx_model_file(model_dir: Path, cache_dir: Path, precision: Precision) -> Path:
    """The cached ONNX file for ``model_dir`` at ``precision``, exported first when missing."""
    import onnxruntime

    ort_version = ".".join(onnxruntime.__version__.split(".")[:2])
    key = hashlib.sha256(
        f"{model_digest(model_dir)}|{precision}|{EXPORT_VERSION}|ort{ort_version}".encode()
    ).hexdigest()[:12]
    target = cache_dir / f"{model_dir.name}-{precision}-{key}.onnx"
    if not target.is_file():
        export_onnx(model_dir, target, precision)
    return target


def export_onnx(model_dir: Path, target: Path, precision: Precision) -> None:
    """Export ``model_dir``'s transformer to ONNX (last hidden state), fuse it and optionally quantise it to int8."""
    try:
        import torch
        from transformers import AutoConfig, AutoModel
    except ImportError as e:
        raise ConfigError(
            f"Exporting {model_dir.name} to ONNX (once, into {target.parent}) needs torch and transformers: "
            "pip install torch transformers, or set embedder='sentence-transformers'."
        ) from e
    logger.info("exporting %s to ONNX (%s), once, into %s", model_dir.name, precision, target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.with_name(f".{target.stem}-{uuid.uuid4().hex[:8]}")
    work.mkdir()
    try:
        config = AutoConfig.from_pretrained(str(model_dir), local_files_only=True)
        # eager attention exports the classic mask pattern that ONNX Runtime fuses into its Attention kernel
        bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager")
        raw = work / "raw.onnx"
        _torch_export(torch, _last_hidden_state(torch, bert.eval()), raw)
        fused = _fuse(raw, work / "fused.onnx", config)
        final = fused
        if precision == "int8":
            final = work / "int8.onnx"
            _quantize(fused, final)
        final.replace(target)  # atomic: a reader sees the whole file or none
    finally:
        for f in work.glob("*"):
            f.unlink()
        work.rmdir()


def _last_hidden_state(torch: Any, bert: Any) -> Any:
    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    return Wrapper()


def _torch_export(torch: Any, module: Any, path: Path) -> None:
    names = ["input_ids", "attention_mask", "token_type_ids"]
    ids = torch.ones(2, 16, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            module,
            (ids, ids, torch.zeros_like(ids)),
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: dynamic axes without an exported-program trace
        )


def _fuse(raw: Path, out: Path, config: Any) -> Path:
    """Fuse attention, GELU and layer norms with ONNX Runtime's transformer optimizer (BERT-family models)."""
    if getattr(config, "model_type", "") != "bert":
        return raw  # other architectures: ONNX Runtime's own graph optimisations at load time
    from onnxruntime.transformers.optimizer import optimize_model

    model = optimize_model(
        str(raw),
        model_type="bert",
        num_heads=int(config.num_attention_heads),
        hidden_size=int(config.hidden_size),
        opt_level=0,
    )
    model.save_model_to_file(str(out))
    return out


def _quantize(src: Path, out: Path) -> None:
    """Dynamic int8: per-channel weights of MatMul and Attention only (embeddings and norms stay fp32, which is
    what keeps retrieval quality; quantising every op costs ~5% cosine)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src),
        str(out),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul", "Attention"],
        # fused ops' outputs have no inferred type
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


class OnnxEmbedder:
    """Batched, normalised embeddings of a local sentence-transformers folder on ONNX Runtime (CPU).

    fp32: texts are sorted by token count and batched so that each batch pads little. int8: one text per
    forward pass, unpadded, because dynamic quantisation scales the activations by the whole input tensor, so a
    batch would make a text's vector depend on its neighbours (up to 0.03 per component); on CPU this costs no
    throughput, as each pass runs on one thread and ``threads`` passes run at once. Sentence vectors come from the
    same forward pass (mean of the token embeddings over each character span), as the sentence-transformers
    embedder's do.
    """

    def __init__(
        self,
        model_path: str | Path,
        cache_dir: Path,
        precision: Precision = "int8",
        batch_size: int = 32,
        threads: int = 0,
    ) -> None:
        path = Path(model_path)
        if not (path / "tokenizer.json").is_file():
            raise ConfigError(
                f"Embedding model folder {str(path)!r} has no tokenizer.json; set BRIEFS_EMBED_MODEL to a local "
                "sentence-transformers folder (with a fast tokenizer), or embedder='sentence-transformers'."
            )
        _check_mean_pooling(path)
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise ConfigError(
                "The onnx embedder needs onnxruntime and tokenizers: pip install onnxruntime tokenizers"
            ) from e
        self.path = path
        self.name = path.name
        self.precision = precision
        self.batch_size = batch_size
        self.max_tokens = _max_seq_length(path)
        self._counter = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._encoder = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._encoder.enable_truncation(self.max_tokens)
        self._encoder.no_padding()
        self.onnx_path = onnx_model_file(path, cache_dir, precision)
        options = ort.SessionOptions()
        cores = threads or (os.cpu_count() or 1)
        # int8 runs one text per forward pass: small passes scale badly across threads, so each pass gets one
        # thread and up to ``cores`` passes run at once (ONNX Runtime sessions are safe to run concurrently)
        self._workers = cores if precision == "int8" else 1
        options.intra_op_num_threads = 1 if precision == "int8" else cores
        options.inter_op_num_threads = 1
        # idle threads sleep rather than spin: the machine is shared with parsing, Chroma and other processes
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.set_denormal_as_zero", "1")  # no slow paths on tiny floats
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self._session.get_inputs()]
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self.fingerprint = f"onnx/{self.name}/{precision}/{model_digest(path)}"
        self._lock = threading.Lock()

    # -- Embedder --------------------------------------------------------------------------------
    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for rows, hidden, mask in self._batches(texts, batch_size):
            out[rows] = _normalise(_mean(hidden, mask))
        return out

    def embed_with_sentences(
        self, texts: Sequence[str], spans: Sequence[list[tuple[int, int]]], batch_size: int | None = None
    ) -> tuple[np.ndarray, list[SentenceVectors]]:
        """Embed ``texts`` and, from the same forward pass, one vector per character span of each text."""
        from assistant.components.sentence_index import pool_spans

        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled: list[SentenceVectors | None] = [None] * len(texts)
        encodings = self._encoder.encode_batch(list(texts)) if texts else []
        for rows, hidden, mask in self._batches(texts, batch_size, encodings):
            vectors[rows] = _normalise(_mean(hidden, mask))
            for r, i in enumerate(rows):
                n = int(mask[r].sum())
                pooled[i] = pool_spans(hidden[r, :n], encodings[i].offsets, spans[i])
        return vectors, [
            p if p is not None else SentenceVectors([], np.zeros((0, self.dim), np.float32)) for p in pooled
        ]

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = self._counter.encode(text, add_special_tokens=False).tokens
        return tokens

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False))

    # -- internals ---------------------------------------------------------------------------------
    def _batches(
        self, texts: Sequence[str], batch_size: int | None, encodings: list[Any] | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(row indices, last hidden state, attention mask) per batch of texts of similar token counts."""
        if not texts:
            return
        encodings = encodings if encodings is not None else self._encoder.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")
        bs = 1 if self.precision == "int8" else batch_size or self.batch_size
        batches = [order[at : at + bs] for at in range(0, len(order), bs)]
        if self._workers > 1 and len(batches) > 1:
            pool = ThreadPoolExecutor(self._workers, thread_name_prefix="onnx-embed")
            try:
                yield from pool.map(lambda rows: self._run(rows, encodings, lengths, serial=False), batches)
            finally:  # a consumer that stops early leaves no passes running for nothing
                pool.shutdown(wait=True, cancel_futures=True)
        else:
            for rows in batches:
                yield self._run(rows, encodings, lengths, serial=self._workers == 1)

    def _run(
        self, rows: np.ndarray, encodings: list[Any], lengths: np.ndarray, serial: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        width = int(lengths[rows].max())
        ids = np.zeros((len(rows), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for r, i in enumerate(rows):
            e = encodings[i]
            n = len(e.ids)
            ids[r, :n], types[r, :n], mask[r, :n] = e.ids, e.type_ids, 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        inputs = {n: feed[n] for n in self._inputs}
        if serial:  # multi-threaded passes: one at a time, so a question waits for one batch of an ingest
            with self._lock:
                (hidden,) = self._session.run(None, inputs)
        else:
            (hidden,) = self._session.run(None, inputs)
        return rows, hidden, mask


def _mean(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[..., None].astype(np.float32)
    summed: np.ndarray = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    return summed


def _normalise(v: np.ndarray) -> np.ndarray:
    out: np.ndarray = v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)
    return out.astype(np.float32)


def _max_seq_length(path: Path) -> int:
    try:
        return int(json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, KeyError, ValueError, TypeError):
        return 256


def _check_mean_pooling(path: Path) -> None:
    """The ONNX embedder pools by mean, as MiniLM does; refuse a model folder configured otherwise."""
    for cfg in sorted(path.glob("*Pooling*/config.json")):
        modes = json.loads(cfg.read_text())
        if not modes.get("pooling_mode_mean_tokens", False) or any(
            v for k, v in modes.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
        ):
            raise ConfigError(
                f"{cfg}: the onnx embedder supports mean pooling only (pooling_mode_mean_tokens); "
                "use embedder='sentence-transformers' for this model."
            )
