"""The demo command: the scripted conversation on the emulator, and a bad model given to it."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.conftest import CANDIDATE_MODEL


def test_demo_serves_chosen_model(capsys):
    assert main(["demo", "--model", str(CANDIDATE_MODEL)]) == 0

    printed = capsys.readouterr().out
    version = json.loads(CANDIDATE_MODEL.with_suffix(".json").read_text(encoding="utf-8"))["version"]
    assert f"Model {version} ({CANDIDATE_MODEL})" in printed
    assert "I see: Dress" in printed
    assert "answers logged in SQLite" in printed


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("folder", None, 1, "is a folder, not a .tflite model file"),
        ("missing.tflite", "", 2, "model file not found"),
        ("notes.tflite", "not a model", 1, "not a LiteRT model file"),
    ],
    ids=["folder", "missing", "text-file"],
)
def test_demo_rejects_bad_model(tmp_path, capsys, name, content, status, message):
    model = tmp_path / name
    if content is None:
        model.mkdir()
    elif content:
        model.write_text(content, encoding="utf-8")

    assert main(["demo", "--model", str(model)]) == status

    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
