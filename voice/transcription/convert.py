"""Convert a CTranslate2 Whisper ``model.bin`` into an openai-whisper checkpoint.

Both engines then run on the same weights. The file layout (little-endian) is: uint32 version,
string spec name, uint32 spec revision, uint32 variable count, then per variable: string name,
uint8 rank, uint32 x rank dims, uint8 dtype id, uint32 byte count, bytes; then uint32 alias count and
(alias, target) string pairs. A string is a uint16 length (counting a trailing NUL) and its bytes.
"""

from __future__ import annotations

import json
import os
import re
import struct
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
_BFLOAT16 = 5


def _read(fh: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise ValueError("model.bin is truncated")
    return struct.unpack("<" + fmt, data)[0]


def _read_string(fh: BinaryIO) -> str:
    length = _read(fh, "H")
    return fh.read(length)[:-1].decode("utf-8")


def read_ctranslate2(path: Path) -> dict[str, np.ndarray]:
    """Read every variable of a CTranslate2 model.bin, dequantised to float32, aliases resolved."""
    raw: dict[str, np.ndarray] = {}
    with path.open("rb") as fh:
        version = _read(fh, "I")
        if version < 5:
            raise ValueError(f"unsupported CTranslate2 binary version {version}")
        _read_string(fh)  # spec name
        _read(fh, "I")  # spec revision
        for _ in range(_read(fh, "I")):
            name = _read_string(fh)
            rank = _read(fh, "B")
            dims = [_read(fh, "I") for _ in range(rank)]
            dtype_id = _read(fh, "B")
            nbytes = _read(fh, "I")
            buf = fh.read(nbytes)
            if dtype_id == _BFLOAT16:
                arr = (np.frombuffer(buf, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
            else:
                arr = np.frombuffer(buf, dtype=_DTYPES[dtype_id])
            raw[name] = arr.reshape(dims) if dims else arr.reshape(())
        for _ in range(_read(fh, "I")):
            alias, target = _read_string(fh), _read_string(fh)
            raw[alias] = raw[target]

    out: dict[str, np.ndarray] = {}
    for name, arr in raw.items():
        if name.endswith("_scale"):
            continue
        scale = raw.get(name + "_scale")
        if scale is not None and arr.dtype in (np.int8, np.int16):
            scale = scale.astype(np.float32)
            # Per-row scales for 2-D weights: value = q / scale.
            arr = arr.astype(np.float32) / (
                scale.reshape(-1, *([1] * (arr.ndim - 1))) if scale.ndim else scale
            )
        out[name] = arr.astype(np.float32)
    return out


def _layer_count(names: set[str], prefix: str) -> int:
    pattern = re.compile(rf"^{prefix}/layer_(\d+)/")
    return 1 + max(int(m.group(1)) for n in names if (m := pattern.match(n)))


class _StateMap:
    """Copies CTranslate2 variables into an openai-whisper state dict under openai-whisper's names."""

    def __init__(self, ct2: dict[str, np.ndarray]) -> None:
        self.ct2 = ct2
        self.state: dict[str, np.ndarray] = {}

    def put(self, dst: str, src: str) -> None:
        self.state[dst] = self.ct2[src]

    def norm(self, dst: str, src: str) -> None:
        self.put(dst + ".weight", src + "/gamma")
        self.put(dst + ".bias", src + "/beta")

    def linear(self, dst: str, src: str) -> None:
        self.put(dst + ".weight", src + "/weight")
        if src + "/bias" in self.ct2:
            self.put(dst + ".bias", src + "/bias")

    def attention(self, dst: str, src: str, d: int) -> None:
        """Self-attention: CTranslate2 fuses query, key and value into one linear layer."""
        w, b = self.ct2[src + "/linear_0/weight"], self.ct2[src + "/linear_0/bias"]
        self.state[dst + ".query.weight"], self.state[dst + ".query.bias"] = w[:d], b[:d]
        self.state[dst + ".key.weight"] = w[d : 2 * d]  # openai-whisper's key has no bias (it is zeros here)
        self.state[dst + ".value.weight"], self.state[dst + ".value.bias"] = w[2 * d :], b[2 * d :]
        self.linear(dst + ".out", src + "/linear_1")

    def cross_attention(self, dst: str, src: str, d: int) -> None:
        """The decoder's attention over the audio: query alone, key and value fused."""
        self.linear(f"{dst}.query", f"{src}/linear_0")
        w, b = self.ct2[f"{src}/linear_1/weight"], self.ct2[f"{src}/linear_1/bias"]
        self.state[f"{dst}.key.weight"] = w[:d]
        self.state[f"{dst}.value.weight"] = w[d:]
        self.state[f"{dst}.value.bias"] = b[d:]
        self.linear(f"{dst}.out", f"{src}/linear_2")

    def block(self, side: str, i: int, d: int) -> None:
        """One residual block of the encoder or the decoder."""
        src, dst = f"{side}/layer_{i}", f"{side}.blocks.{i}"
        self.norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        self.attention(f"{dst}.attn", f"{src}/self_attention", d)
        self.norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")
        self.linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        self.linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        if side == "decoder":
            self.norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
            self.cross_attention(f"{dst}.cross_attn", f"{src}/attention", d)


def _heads(ct2: dict[str, np.ndarray], side: str, n_state: int) -> int:
    for key in (f"{side}/num_heads", f"{side}/layer_0/self_attention/num_heads"):
        if key in ct2:
            return int(ct2[key])
    return n_state // 64  # Whisper's head width is 64 for every released size


def to_openai_state(
    ct2: dict[str, np.ndarray], config: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Map CTranslate2 names to openai-whisper's; return (dims, state_dict of numpy arrays)."""
    m = _StateMap(ct2)
    names = set(ct2)
    for part in ("conv1", "conv2"):
        m.linear(f"encoder.{part}", f"encoder/{part}")
    m.put("encoder.positional_embedding", "encoder/position_encodings/encodings")
    m.put("decoder.positional_embedding", "decoder/position_encodings/encodings")
    m.norm("encoder.ln_post", "encoder/layer_norm")
    m.norm("decoder.ln", "decoder/layer_norm")
    m.put("decoder.token_embedding.weight", "decoder/embeddings/weight")

    n_state = ct2["encoder/conv1/weight"].shape[0]
    n_audio_layer = _layer_count(names, "encoder")
    n_text_layer = _layer_count(names, "decoder")
    for side, count in (("encoder", n_audio_layer), ("decoder", n_text_layer)):
        for i in range(count):
            m.block(side, i, n_state)

    dims = {
        "n_mels": int(ct2["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(ct2["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(n_state),
        "n_audio_head": _heads(ct2, "encoder", n_state),
        "n_audio_layer": n_audio_layer,
        "n_vocab": int(ct2["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(ct2["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(ct2["decoder/embeddings/weight"].shape[1]),
        "n_text_head": _heads(ct2, "decoder", n_state),
        "n_text_layer": n_text_layer,
    }
    return dims, m.state


def convert_to_openai(model_dir: Path, out_path: Path | None = None) -> Path:
    """Write ``openai-whisper.pt`` next to the CTranslate2 weights (once) and return its path."""
    import torch

    out_path = out_path or model_dir / "openai-whisper.pt"
    if out_path.exists() and out_path.stat().st_mtime >= (model_dir / "model.bin").stat().st_mtime:
        return out_path
    config = json.loads((model_dir / "config.json").read_text())
    dims, state = to_openai_state(read_ctranslate2(model_dir / "model.bin"), config)
    checkpoint = {
        "dims": dims,
        "model_state_dict": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()},
    }
    fd, tmp = tempfile.mkstemp(prefix=".openai-whisper.", dir=out_path.parent)
    os.close(fd)
    try:
        torch.save(checkpoint, tmp)
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out_path
