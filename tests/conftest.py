"""Shared test fixtures and builders.

``scripts/`` is put on the import path so tests can import the sample generator
(``make_sample``), which is not part of the installed package.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))
