"""The core stays framework-free."""

import subprocess
import sys


def test_assistant_core_imports_no_web_or_cli_framework() -> None:
    code = ("import sys, assistant.service, assistant.answer, assistant.llm, assistant.store, ingest.pipeline; "
            "bad = [m for m in ('gradio', 'fastapi', 'click') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
