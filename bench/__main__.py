"""`python -m bench`: Voice end to end against plain openai-whisper (see bench/perf.py)."""

import sys

from bench.perf import main

sys.exit(main())
