"""docs/configuration.md is generated from the Settings schema; these fail when it falls behind."""

from __future__ import annotations

from functools import reduce
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from voice.core.config import Settings
from voice.core.config_reference import main, render, sections

COMMITTED = ROOT / "docs" / "configuration.md"


def test_committed_reference_is_what_the_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--check", str(COMMITTED)])
    err = capsys.readouterr().err
    assert status == 0, err  # the message says which rows differ and the command that rewrites the file
    assert COMMITTED.read_text(encoding="utf-8") == render()


def test_check_catches_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = render()
    stale = tmp_path / "configuration.md"
    # As if VOICE_FETCH__RETRIES's default had changed in config.py after the file was written.
    row = next(line for line in fresh.splitlines() if line.startswith("| `VOICE_FETCH__RETRIES`"))
    stale.write_text(fresh.replace(row, row.replace("| `3` |", "| `4` |")), encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    err = capsys.readouterr().err
    assert "stale" in err and "VOICE_FETCH__RETRIES" in err
    assert "python -m voice.core.config_reference > docs/configuration.md" in err

    # A setting added to the schema but missing from the file is caught the same way.
    stale.write_text(fresh.replace(row + "\n", ""), encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert "VOICE_FETCH__RETRIES" in capsys.readouterr().err

    assert main(["--check", str(tmp_path / "missing.md")]) == 1
    assert "does not exist" in capsys.readouterr().err

    stale.write_text(fresh, encoding="utf-8")
    assert main(["--check", str(stale)]) == 0


def test_without_check_it_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == render()


def test_every_setting_has_a_row_with_a_description() -> None:
    rows = [line for line in render().splitlines() if line.startswith("| `VOICE_")]
    leaves = [env for _, _, _, leaf in sections(Settings, "VOICE_", "") for env, _, _ in leaf]
    assert len(rows) == len(leaves) > 40
    for row in rows:
        description = row.rstrip(" |").rsplit(" | ", 1)[1]
        assert description.strip(), row


def test_the_names_are_the_ones_settings_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every numeric setting set by its documented name reaches the field (names are not made up)."""
    numeric = []
    for path, _, _, leaves in sections(Settings, "VOICE_", ""):
        for env, name, info in leaves:
            if info.annotation in (int, float):
                # 7, or under the field's upper bound where it has one below 7 (a log-probability, say)
                upper = min([getattr(m, "le", 7) for m in info.metadata] + [7])
                value = 7 if upper >= 7 else int(upper) - 1
                monkeypatch.setenv(env, str(value))
                numeric.append(((path.split(".") if path else []) + [name], value))
    settings = Settings(_env_file=None)
    for attrs, value in numeric:
        assert reduce(getattr, attrs, settings) == value, ".".join(attrs)
    assert len(numeric) > 30
