"""The configuration reference (docs/configuration.md), generated from the Settings schema.

    python -m voice.core.config_reference > docs/configuration.md       # write it
    python -m voice.core.config_reference --check docs/configuration.md # exit 1 when it is stale

Each setting's description is its Field description, else the comment written beside or right above it
in voice/core/config.py (transcription_settings.py and delivery_settings.py for their sections); a
section's text is its class docstring. Defaults come from the schema, never from the environment, so the
output is the same on every machine.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import io
import json
import sys
import tokenize
import types
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from voice.core import config, delivery_settings, transcription_settings
from voice.core.config import Settings

COMMAND = "python -m voice.core.config_reference > docs/configuration.md"


def field_comments(module: types.ModuleType) -> dict[tuple[str, str], str]:
    """(class name, field name) -> the comment on the field's line(s) or the comment block right above it."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    found: dict[tuple[str, str], str] = {}
    for cls in ast.walk(ast.parse(source)):
        if not isinstance(cls, ast.ClassDef):
            continue
        for stmt in cls.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            above: list[str] = []
            n = stmt.lineno - 1
            # Only a block of comment-only lines touching the field belongs to it.
            while n >= 1 and n in comments and lines[n - 1].lstrip().startswith("#"):
                above.insert(0, comments[n])
                n -= 1
            end = stmt.end_lineno or stmt.lineno
            beside = [comments[i] for i in range(stmt.lineno, end + 1) if i in comments]
            text = " ".join(above + beside).strip()
            if text:
                found[(cls.name, stmt.target.id)] = text
    return found


def type_name(annotation: Any) -> str:
    """A reader's name for a field's type; lists, dicts and models are given as JSON."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Literal:
        return " | ".join(f"`{a}`" for a in args)
    if origin in (Union, types.UnionType):
        parts = [type_name(a) for a in args if a is not type(None)]
        return " | ".join(parts) + (" (optional)" if type(None) in args else "")
    if origin is list:
        return f"JSON list of {type_name(args[0])}"
    if origin is dict:
        return f"JSON object of {type_name(args[0])} to {type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        keys = ", ".join(f'"{k}"' for k in annotation.model_fields)
        return f"{{{keys}}}"
    if annotation is SecretStr:
        return "secret string"
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return "path"
    if isinstance(annotation, type):
        names = {"str": "string", "bool": "boolean", "int": "integer", "float": "number"}
        names |= {"IPv4Network": "IPv4 network", "IPv6Network": "IPv6 network"}
        return names.get(annotation.__name__, annotation.__name__)
    return str(annotation)


def _json_value(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {k: _json_value(v) for k, v in value.model_dump().items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


def default_text(name: str, info: FieldInfo) -> str:
    """The default as a reader would set it; the home folder is written ~ so every machine prints the same."""
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Path):
        home = Path.home()
        if value.is_relative_to(home):
            return f"`~/{value.relative_to(home).as_posix()}`"
        return f"`{value.as_posix() if value.is_absolute() else './' + value.as_posix()}`"
    if isinstance(value, (list, dict)):
        return f"`{json.dumps(_json_value(value))}`"
    if isinstance(value, int) and name.endswith("_bytes") and value >= 1024 and value % 1024 == 0:
        mib, kib = divmod(value, 1024 * 1024)
        human = f"{mib} MiB" if kib == 0 else f"{value // 1024} KiB"
        return f"`{value}` ({human})"
    if isinstance(value, float) and value.is_integer():
        return f"`{value:g}`"
    return f"`{value}`"


def bounds_text(info: FieldInfo) -> str:
    words = []
    for m in info.metadata:  # annotated_types' Gt, Ge, Lt, Le, as Field(gt=...) records them
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            if getattr(m, attr, None) is not None:
                words.append(f"{sign} {getattr(m, attr)}")
    return f" Must be {' and '.join(words)}." if words else ""


def _section_model(info: FieldInfo) -> type[BaseModel] | None:
    """A nested settings section: a model field made by its own class, set with VOICE_SECTION__FIELD."""
    annotation = info.annotation
    if (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and info.default_factory is annotation
    ):
        return annotation
    return None


def sections(
    model: type[BaseModel], prefix: str, path: str
) -> Iterator[tuple[str, str, type[BaseModel], list[tuple[str, str, FieldInfo]]]]:
    """(dotted path, env prefix, model, [(env var, field name, field)]) per section, own fields first."""
    leaves: list[tuple[str, str, FieldInfo]] = []
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, info in model.model_fields.items():
        sub = _section_model(info)
        if sub is None:
            leaves.append((f"{prefix}{name.upper()}", name, info))
        else:
            nested.append((name, sub))
    yield path, prefix, model, leaves
    for name, sub in nested:
        yield from sections(sub, f"{prefix}{name.upper()}__", f"{path}.{name}" if path else name)


def sentence(text: str) -> str:
    """A comment written as a fragment ("per key; ...") reads as a sentence in the table."""
    text = text.strip()
    if not text:
        return text
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", ")", "?")) else text + "."


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render() -> str:
    # Settings sections that live in modules of their own for size keep their comments there.
    comments = {
        **field_comments(config),
        **field_comments(transcription_settings),
        **field_comments(delivery_settings),
    }
    prefix = str(Settings.model_config.get("env_prefix", ""))
    out = [
        "# Configuration reference",
        "",
        f"Every setting of Voice, generated from `voice/core/config.py` by `{COMMAND}`; "
        "edit the descriptions there, not here (a test fails when this file is stale).",
        "",
        "Settings are read once at start from the environment and an optional `.env` file in the working "
        f"folder. Names start with `{prefix}`; a section's settings join the section with `__` "
        "(`VOICE_FETCH__DEADLINE_FLOOR_S`). Names are case-insensitive. Lists, objects and sections are "
        "given as JSON (`VOICE_FETCH__ALLOW_NETWORKS='[\"10.20.0.0/16\"]'`).",
        "",
    ]
    missing: list[str] = []
    for path, env_prefix, model, leaves in sections(Settings, prefix, ""):
        if not leaves:
            continue
        out.append(f"## {path} (`{env_prefix}*`)" if path else "## General")
        out.append("")
        doc = model.__dict__.get("__doc__") if path else None  # its own, not BaseModel's
        if doc:
            out += [" ".join(doc.split()), ""]
        out.append("| variable | type | default | description |")
        out.append("|---|---|---|---|")
        for env, name, info in leaves:
            text = sentence(info.description or comments.get((model.__name__, name), ""))
            if not text:
                missing.append(env)
            text += bounds_text(info)
            out.append(
                f"| `{env}` | {_cell(type_name(info.annotation))} | {_cell(default_text(name, info))} "
                f"| {_cell(text)} |"
            )
        out.append("")
    if missing:
        raise ValueError(
            f"settings without a description (add description= in voice/core/config.py): {missing}"
        )
    return "\n".join(out)


def check(path: Path) -> tuple[bool, str]:
    """Whether the file at path is what render() prints, and a message saying so."""
    expected = render()
    try:
        actual = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False, f"{path} does not exist: run `{COMMAND}`"
    if actual == expected:
        return True, f"{path} is up to date"
    changed = [
        line
        for line in set(expected.splitlines()).symmetric_difference(actual.splitlines())
        if line.startswith("| `")
    ]
    names = sorted({line.split("`")[1] for line in changed})
    detail = f" (rows that differ: {', '.join(names)})" if names else ""
    return False, f"{path} is stale: it differs from the Settings schema{detail}. Run `{COMMAND}`"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m voice.core.config_reference", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--check", type=Path, metavar="FILE", help="exit 1 when FILE differs from the output")
    args = parser.parse_args(argv)
    if args.check is None:
        sys.stdout.write(render())
        return 0
    ok, message = check(args.check)
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
