"""docs/LAYOUTS.md is generated from the two apps; it must match what they are now."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_committed_layouts_doc_is_up_to_date():
    result = subprocess.run(
        [sys.executable, "scripts/compare_layouts.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, (
        result.stderr + "\nRun `make compare` and commit docs/LAYOUTS.md."
    )
