"""The reference: plain openai-whisper, as its own `whisper` command would run it, on the same weights.

    python -m bench.reference MODEL FILE... > result.json

Run as its own process by `python -m bench`, so its peak memory is its own. The model is loaded once (not
timed); each file is decoded with ``whisper.load_audio`` (ffmpeg, a plain resample to 16 kHz mono) and
transcribed with the `whisper` command's defaults: beam 5, best_of 5, temperature 0 with fallback in steps of
0.2, condition on previous text, the usual thresholds; fp16 off on the CPU; the language detected
(English-only models: English). The fallback's sampling is seeded per file, so runs repeat.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main(argv: list[str]) -> int:
    model_name, files = argv[0], argv[1:]
    import torch
    import whisper

    from voice.core.config import get_settings
    from voice.transcription.convert import convert_to_openai
    from voice.transcription.weights import resolve_model

    settings = get_settings().transcription
    loaded = time.perf_counter()
    model = whisper.load_model(str(convert_to_openai(resolve_model(model_name, settings))), device="cpu")
    load_s = time.perf_counter() - loaded
    if not files:
        raise SystemExit("python -m bench.reference MODEL FILE...: no files")
    # Warm up on the first file, untimed: Voice's worker is warmed up the same way.
    whisper.transcribe(
        model, whisper.load_audio(files[0]), fp16=False, language="en" if model_name.endswith(".en") else None
    )
    results = []
    started = time.perf_counter()
    for path in files:
        # Its temperature fallback samples: seeded per file, so a run repeats and order does not matter.
        torch.manual_seed(0)
        t = time.perf_counter()
        audio = whisper.load_audio(path)
        out = whisper.transcribe(
            model,
            audio,
            language="en" if model_name.endswith(".en") else None,
            temperature=tuple(x / 10 for x in range(0, 11, 2)),
            beam_size=5,
            best_of=5,
            condition_on_previous_text=True,
            compression_ratio_threshold=2.4,
            logprob_threshold=-1.0,
            no_speech_threshold=0.6,
            fp16=False,
            verbose=None,
        )
        results.append(
            {
                "path": path,
                "text": str(out["text"]).strip(),
                "language": out.get("language"),
                "seconds": round(time.perf_counter() - t, 3),
            }
        )
    json.dump(
        {
            "engine": "openai-whisper",
            "model": model_name,
            "torch_threads": torch.get_num_threads(),
            "load_s": round(load_s, 2),
            "wall_s": round(time.perf_counter() - started, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "files": results,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
