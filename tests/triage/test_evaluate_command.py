"""`civicgrid triage evaluate` on the small synthetic file (tests/data/triage_synthetic.csv, made by
bench/triage_synthetic.py: NOT real citizen messages), and each bad input's clear error."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

DATA = Path(__file__).resolve().parent.parent / "data" / "triage_synthetic.csv"


def run(*args):
    from io import StringIO

    from django.utils import translation

    out = StringIO()
    with translation.override("en"):  # the messages are checked in English (zh-hans is the default)
        call_command("triage", "evaluate", *args, stdout=out)
    return out.getvalue()


def test_evaluate_prints_every_figure_with_the_baseline_on_the_same_folds():
    out = run(
        "--data",
        str(DATA),
        "--text",
        "text",
        "--title",
        "title",
        "--label",
        "label",
        "--folds",
        "3",
        "--baseline",
    )
    assert "160 rows, 8 classes" in out
    for needle in (
        "== triage (chars): 3 folds",
        "== baseline (char 1-3 + LinearSVC): 3 folds",
        "accuracy",
        "macro-F1",
        "ms per prediction: median",
        "p99",
        "training time per fold",
        "confusion matrix",
        "乱停车",
        "triage - baseline: accuracy",
    ):
        assert needle in out, needle
    accuracy = float(out.split("accuracy   ")[1].split()[0])
    assert accuracy > 0.8


def test_evaluate_reads_json_and_xlsx(tmp_path):
    import csv

    from openpyxl import Workbook

    rows = list(csv.DictReader(DATA.open(encoding="utf-8")))[:60]
    (tmp_path / "d.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert "60 rows" in run(
        "--data", str(tmp_path / "d.json"), "--text", "text", "--label", "label", "--folds", "2"
    )
    wb = Workbook()
    ws = wb.active
    ws.append(["text", "label"])
    for r in rows:
        ws.append([r["text"], r["label"]])
    wb.save(tmp_path / "d.xlsx")
    assert "60 rows" in run(
        "--data", str(tmp_path / "d.xlsx"), "--text", "text", "--label", "label", "--folds", "2"
    )


def write(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "content,args,message",
    [
        ("text,label\n乱停车,a\n", ["--text", "body", "--label", "label"], "Column 'body' is missing"),
        ("text,label\n乱停车,a\n", ["--text", "text", "--label", "category"], "Column 'category' is missing"),
        (
            "text,label\n乱停车,a\n",
            ["--text", "text", "--label", "label", "--title", "head"],
            "Column 'head' is missing",
        ),
        ("", ["--text", "text", "--label", "label"], "is empty"),
        ("text,label\n", ["--text", "text", "--label", "label"], "is empty"),
        (
            "text,label\n乱停车,a\n垃圾,a\n路灯,a\n",
            ["--text", "text", "--label", "label"],
            "only one class ('a')",
        ),
        (
            "text,label\n乱停车,a\n垃圾,a\n路灯,b\n",
            ["--text", "text", "--label", "label"],
            "single row in column 'label': 'b'",
        ),
        (
            "text,label\n,a\n,b\n",
            ["--text", "text", "--label", "label"],
            "no row with both a text and a label",
        ),
    ],
)
def test_bad_input_gets_a_clear_error_naming_it(tmp_path, content, args, message):
    with pytest.raises(CommandError, match=None) as caught:
        run("--data", write(tmp_path, content), *args)
    assert message in str(caught.value)


def test_a_missing_file_and_an_unknown_type(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("--data", str(tmp_path / "none.csv"), "--text", "t", "--label", "l")
    (tmp_path / "d.txt").write_text("x", encoding="utf-8")
    with pytest.raises(CommandError, match="Unknown file type .txt"):
        run("--data", str(tmp_path / "d.txt"), "--text", "t", "--label", "l")
    (tmp_path / "d.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("--data", str(tmp_path / "d.json"), "--text", "t", "--label", "l")


def test_the_command_exits_non_zero_on_bad_input(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path, "text,label\n乱停车,a\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "civicgrid.cli",
            "triage",
            "evaluate",
            "--data",
            path,
            "--text",
            "body",
            "--label",
            "label",
        ],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "civicgrid.settings"},
    )
    assert done.returncode != 0 and "'body'" in done.stderr and "缺少列" in done.stderr  # zh-hans by default
