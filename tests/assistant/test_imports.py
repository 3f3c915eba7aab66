"""The architecture, as tests: the core stays framework-free, surfaces call only the service, imports point one
way, and the protocols stay small (see docs/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SURFACE_MAY_IMPORT = {"assistant.service", "assistant.models", "assistant.errors", "assistant.settings"}
INGEST_MAY_IMPORT = {
    "assistant.store",
    "assistant.originals",  # kept PDF originals: persisted beside the store, written just before each commit
    "assistant.models",
    "assistant.protocols",
    "assistant.errors",
    "assistant.settings",
    "assistant.text",
}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (function-level imports too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _violations(package: str, allowed: set[str], of: tuple[str, ...]) -> list[str]:
    bad = []
    for path in _modules(package):
        for name in _imports(path):
            if (
                name.split(".")[0] in of
                and name not in allowed
                and not any(name.startswith(a + ".") for a in allowed)
            ):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_assistant_core_imports_no_web_or_cli_framework() -> None:
    modules = sorted(
        {
            ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for p in _modules("assistant") + _modules("ingest")
        }
    )
    code = (
        f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; "
        "bad = [m for m in ('gradio', 'fastapi', 'click', 'starlette', 'mcp') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("surface", ["ui", "eval"])
def test_surfaces_call_only_the_service_and_the_models(surface: str) -> None:
    assert _violations(surface, SURFACE_MAY_IMPORT, of=("assistant", "ingest")) == []


def test_ingest_depends_on_the_store_and_protocols_only() -> None:
    assert _violations("ingest", INGEST_MAY_IMPORT, of=("assistant", "ui", "eval")) == []


def test_the_core_never_imports_a_surface_and_only_the_service_imports_ingest() -> None:
    bad = [
        v
        for v in _violations("assistant", set(), of=("ui", "eval", "ingest"))
        if not v.startswith(("assistant/service.py imports ingest.", "assistant/uploads.py"))
    ]
    assert bad == []


def test_protocols_name_no_implementation() -> None:
    imported = _imports(ROOT / "assistant" / "protocols.py")
    assert {m for m in imported if m.startswith("assistant")} <= {"assistant.models"}, imported


def test_protocols_are_small() -> None:
    tree = ast.parse((ROOT / "assistant" / "protocols.py").read_text(encoding="utf-8"))
    sizes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") == "Protocol" for b in node.bases):
            sizes[node.name] = sum(
                isinstance(n, ast.FunctionDef) and not n.name.startswith("__") for n in node.body
            )
    assert sizes and all(n <= 4 for n in sizes.values()), sizes
    assert sizes["Registry"] == 0  # the three roles joined, nothing added
