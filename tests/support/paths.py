"""Where the checkout and the installed `voice` command are."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VOICE = str(Path(sys.executable).parent / "voice")
