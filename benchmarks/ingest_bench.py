"""Ingest speed against the physical floor (a bare SentenceTransformer.encode over the same chunk texts,
same batch size) and against llama-index's own default path, in one process on the same data.

    python -m benchmarks.ingest_bench [--limit N]

Prints seconds, chunks/s, the ratios, and peak RSS per phase; writes benchmarks/results/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.embedding import SentenceTransformerEmbedder, as_llama_embedding  # noqa: E402

from assistant.settings import Settings  # noqa: E402
from benchmarks.common import CRS, RESULTS, peak_rss, timer  # noqa: E402
from ingest.chunk import chunk_text  # noqa: E402
from ingest.clean import clean_text  # noqa: E402
from ingest.load import load_file  # noqa: E402
from ingest.pipeline import Ingestor, embed_header  # noqa: E402


def chunk_texts(files: list[Path], ingestor: Ingestor) -> list[str]:
    """The exact texts our pipeline embeds (title/section header + chunk)."""
    from ingest import metadata
    from ingest.pipeline import BriefMeta

    texts = []
    for f in files:
        doc = load_file(f, 10**9)
        cleaned = clean_text(doc.text, doc.kind, doc.pages)
        fields = metadata.extract(cleaned.header, {}, {}, cleaned.text, cleaned.title, f, doc.kind)
        meta = BriefMeta(id=f.stem, path=str(f), content_hash="", **fields)
        texts += [
            embed_header(meta, c) + c.text
            for c in chunk_text(cleaned.text, cleaned.sections, ingestor.splitter)
        ]
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="only the first N files (0 = all)")
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    files = sorted(CRS.rglob("*.md"))[: args.limit or None]
    tmp = Path(tempfile.mkdtemp(prefix="briefs-bench-"))
    # the full run leaves its store for answer_bench (benchmarks/results/crs-data)
    ours = tmp / "ours" if args.limit else RESULTS / "crs-data"
    shutil.rmtree(ours, ignore_errors=True)
    settings = Settings(data_dir=ours)
    embedder = SentenceTransformerEmbedder.from_settings(settings)
    embedder.embed(["warm up the model"] * 8)
    ingestor = Ingestor(settings, embedder=embedder)
    texts = chunk_texts(files, ingestor)
    bs = settings.embed_batch_size
    results: dict[str, dict[str, float]] = {}

    with peak_rss() as mem, timer() as t:
        embedder.model.encode(texts, batch_size=bs, normalize_embeddings=True, show_progress_bar=False)
    results["floor_encode"] = {"seconds": t["seconds"], "chunks": len(texts), "peak_mb": mem["peak_mb"]}

    with peak_rss() as mem, timer() as t:
        report = ingestor.ingest([CRS] if not args.limit else files)
    assert not report.failed, report.failed
    results["briefs_ingest"] = {"seconds": t["seconds"], "chunks": report.chunks, "peak_mb": mem["peak_mb"]}

    if not args.skip_peer:
        from llama_index.core import Settings as LISettings
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

        LISettings.embed_model = as_llama_embedding(embedder)
        with peak_rss() as mem, timer() as t:
            docs = SimpleDirectoryReader(input_files=[str(f) for f in files]).load_data()
            index = VectorStoreIndex.from_documents(
                docs, transformations=[ingestor.splitter], embed_model=LISettings.embed_model
            )
        results["llamaindex_from_documents"] = {
            "seconds": t["seconds"],
            "chunks": len(index.docstore.docs),
            "peak_mb": mem["peak_mb"],
        }

    floor = results["floor_encode"]["seconds"]
    print(f"{len(files)} files, batch size {bs}")
    print(f"{'path':28} {'seconds':>8} {'chunks':>7} {'chunks/s':>9} {'x floor':>8} {'peak MiB':>9}")
    for name, r in results.items():
        r["chunks_per_s"] = r["chunks"] / r["seconds"]
        r["ratio_to_floor"] = r["seconds"] / floor
        print(
            f"{name:28} {r['seconds']:8.1f} {r['chunks']:7d} {r['chunks_per_s']:9.1f} {r['ratio_to_floor']:8.2f} {r['peak_mb']:9.0f}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(results, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
