"""One conformance suite for the brief store and its registry, run against the embedded backend
(SQLite registry, PersistentClient) and the server backend (Chroma registry, live ``chroma run``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from assistant.components.registry_sqlite import SQLiteRegistry
from assistant.errors import NotFoundError
from assistant.models import BriefMeta, ChunkRow, Committed, PreparedBrief
from assistant.protocols import Registry
from assistant.settings import Settings
from assistant.store import BriefStore, chunk_id
from tests.conftest import test_settings

DIM = 8


def make_brief(
    brief_id: str, version: str, path: str | None = None, n: int = 3
) -> tuple[BriefMeta, str, str, list[ChunkRow]]:
    """(meta, fingerprint, text, chunk rows) of a small synthetic brief."""
    fingerprint = hashlib.sha256(f"{brief_id}|{version}".encode()).hexdigest()
    generation = fingerprint[:12]
    parts = [
        f"Paragraph {i} of {brief_id} version {version} discusses topic{i} and {brief_id}words."
        for i in range(n)
    ]
    text = "\n\n".join(parts)
    rows, at = [], 0
    for i, part in enumerate(parts):
        rows.append(
            ChunkRow(
                chunk_id(brief_id, generation, i),
                brief_id,
                i,
                at,
                at + len(part),
                "Intro" if i == 0 else None,
                part,
            )
        )
        at += len(part) + 2
    meta = BriefMeta(
        id=brief_id,
        title=f"Title of {brief_id}",
        path=path or f"/briefs/{brief_id}.md",
        content_hash=fingerprint,
        chunks=n,
        chars=len(text),
    )
    return meta, fingerprint, text, rows


def vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def write(
    store: BriefStore, brief_id: str, version: str = "1", path: str | None = None, n: int = 3
) -> list[ChunkRow]:
    meta, fp, text, rows = make_brief(brief_id, version, path, n)
    store.write_brief(PreparedBrief(meta, fp, text, rows), vectors(n, hash((brief_id, version)) % 2**32))
    return rows


class StoreContract:
    """What every store backend must do; subclasses provide the ``store`` fixture."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> BriefStore:
        raise NotImplementedError

    def test_registry_satisfies_protocol(self, store: BriefStore) -> None:
        assert isinstance(store.registry, Registry)

    def test_committed_brief_is_visible(self, store: BriefStore) -> None:
        rows = write(store, "alpha")
        meta = store.get_brief("alpha")
        assert [b.id for b in store.list_briefs()] == ["alpha"]
        assert store.registry.brief_text("alpha") == make_brief("alpha", "1")[2]
        assert store.registry.committed() == {
            "alpha": Committed(rows[0].id.split(":")[1], make_brief("alpha", "1")[1], meta.path, 3)
        }
        assert store.registry.all_chunks() == rows
        assert store.registry.chunks([r.id for r in rows] + ["missing:x:0"]) == {r.id: r for r in rows}
        assert store.chunk_count() == store.vector_count() == 3
        text = store.registry.brief_text("alpha") or ""
        assert all(text[r.start : r.end] == r.text for r in rows)

    def test_revision_changes_with_every_commit_and_delete(self, store: BriefStore) -> None:
        seen = [store.registry.revision()]
        write(store, "alpha")
        seen.append(store.registry.revision())
        write(store, "alpha", version="2")
        seen.append(store.registry.revision())
        store.delete_brief("alpha")
        seen.append(store.registry.revision())
        assert len(set(seen[:3])) == 3 and seen[3] != seen[2]

    def test_update_replaces_the_old_generation(self, store: BriefStore) -> None:
        old = write(store, "alpha")
        new = write(store, "alpha", version="2", n=2)
        assert store.registry.chunks([r.id for r in old + new]) == {r.id: r for r in new}
        assert store.registry.all_chunks() == new
        assert store.vector_count() == 2
        assert store.get_brief("alpha").chunks == 2

    def test_same_path_under_a_new_id_replaces_the_old_brief(self, store: BriefStore) -> None:
        write(store, "alpha", path="/briefs/shared.md")
        write(store, "beta", path="/briefs/shared.md")
        assert [b.id for b in store.list_briefs()] == ["beta"]
        assert store.chunk_count() == 3

    def test_delete_brief(self, store: BriefStore) -> None:
        write(store, "alpha")
        write(store, "beta")
        store.delete_brief("alpha")
        assert [b.id for b in store.list_briefs()] == ["beta"]
        assert store.vector_count() == 3
        with pytest.raises(NotFoundError, match="'alpha'.*Known ids include: beta"):
            store.delete_brief("alpha")

    def test_a_brief_larger_than_one_chroma_write_is_stored_whole(self, store: BriefStore) -> None:
        n = 5461 + 40  # Chroma refuses more than 5,461 records in one write (embedded)
        rows = write(store, "big", n=n)
        assert store.vector_count() == n and store.chunk_count() == n
        found = {cid for cid, _ in store.dense_search(vectors(n, hash(("big", "1")) % 2**32)[-1], k=1)}
        assert found == {rows[-1].id}  # the last part was written too

    def test_a_new_brief_deletes_no_vectors(self, store: BriefStore, monkeypatch: pytest.MonkeyPatch) -> None:
        deletes: list[tuple[str, str | None]] = []
        real = store.vectors.delete
        monkeypatch.setattr(
            store.vectors, "delete", lambda b, g=None, keep=False: (deletes.append((b, g)), real(b, g, keep=keep))[1]
        )
        write(store, "alpha")
        assert deletes == []  # nothing older to remove: each Chroma write costs seconds on a large store
        write(store, "alpha", version="2", n=2)
        assert deletes and store.vector_count() == 2

    def test_uncommitted_vectors_are_ignored_then_recovered(self, store: BriefStore) -> None:
        committed = write(store, "alpha")
        meta, fp, _, rows = make_brief("ghost", "1")
        store.vectors.add(rows, vectors(3, 7), meta.title, fp[:12])  # a run killed before its commit
        assert store.vector_count() == 6
        assert store.registry.chunks([r.id for r in rows]) == {}
        found = [cid for cid, _ in store.dense_search(vectors(1, 7)[0], k=6)]
        assert set(found) == {r.id for r in committed + rows}  # dense search sees them; the registry filters
        assert store.recover().orphans == 3
        assert store.vector_count() == 3 and store.registry.all_chunks() == committed

    def test_dense_search_respects_allowed_briefs(self, store: BriefStore) -> None:
        write(store, "alpha")
        beta = write(store, "beta")
        hits = store.dense_search(vectors(1, 1)[0], k=10, allowed={"beta"})
        assert {cid for cid, _ in hits} == {r.id for r in beta}
        assert all(-1.0 <= score <= 1.0 for _, score in hits)

    def test_keyword_index_follows_the_registry(self, store: BriefStore) -> None:
        write(store, "alpha")
        first = store.keyword_index()
        assert first is not None and first.revision == store.registry.revision()
        assert {cid.split(":")[0] for cid, _ in first.search("betawords", 5)} == set()
        write(store, "beta")
        second = store.keyword_index()
        assert second is not None and second is not first
        assert {cid.split(":")[0] for cid, _ in second.search("betawords", 5)} == {"beta"}


class TestEmbeddedStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> BriefStore:
        store = BriefStore(test_settings(data_dir=tmp_path / "data"))
        assert isinstance(store.registry, SQLiteRegistry)
        return store


@pytest.mark.server
class TestServerStore(StoreContract):
    @pytest.fixture
    def store(self, server_settings: Settings) -> BriefStore:
        # grace 0: this process is the only writer, so anything uncommitted is abandoned
        store = BriefStore(server_settings.model_copy(update={"chroma_orphan_grace_s": 0.0}))
        assert not (server_settings.data_dir / "registry.sqlite3").exists()
        return store

    def test_recovery_spares_vectors_another_process_is_writing(self, server_settings: Settings) -> None:
        store = BriefStore(server_settings)  # default grace
        meta, fp, _, rows = make_brief("inflight", "1")
        store.vectors.add(rows, vectors(3, 3), meta.title, fp[:12])
        assert store.recover().orphans == 0 and store.vector_count() == 3
        assert (
            BriefStore(server_settings.model_copy(update={"chroma_orphan_grace_s": 0.0})).recover().orphans
            == 3
        )

    def test_two_data_dirs_share_one_registry(self, server_settings: Settings, tmp_path: Path) -> None:
        a = BriefStore(server_settings)
        b = BriefStore(
            server_settings.model_copy(update={"data_dir": tmp_path / "other", "chroma_registry_ttl_s": 0.0})
        )
        alpha = write(a, "alpha")
        assert [x.id for x in b.list_briefs()] == ["alpha"]
        assert b.recover().orphans == 0 and b.vector_count() == 3  # a's vectors are not b's orphans
        beta = write(b, "beta")
        a_view = BriefStore(server_settings.model_copy(update={"chroma_registry_ttl_s": 0.0}))
        assert a_view.registry.all_chunks() == alpha + beta
        index = a_view.keyword_index()
        assert index is not None and {cid.split(":")[0] for cid, _ in index.search("betawords", 5)} == {
            "beta"
        }

    def test_registry_collection_sits_next_to_the_chunks(self, server_settings: Settings) -> None:
        import chromadb

        write(BriefStore(server_settings), "alpha")
        host, port = server_settings.chroma_url.rsplit(":", 1)  # type: ignore[union-attr]
        names = {
            c.name for c in chromadb.HttpClient(host=host.split("//")[1], port=int(port)).list_collections()
        }
        assert {server_settings.collection, f"{server_settings.collection}_registry"} <= names
