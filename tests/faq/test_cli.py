"""`ask` and `faq-eval` through `register` with a plain argparse parser."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from bot.commands import faq as faq_command


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sferum-bot")
    sub = parser.add_subparsers(dest="command")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=None)
    faq_command.register(sub, common)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_ask_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(["ask", "--json", "смс не приходит", "привет", "какая завтра погода"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    objects = [json.loads(line) for line in lines]
    for obj in objects:
        assert list(obj) == ["question", "topic", "confidence", "answer", "alternatives"]
        assert 0.0 <= obj["confidence"] <= 1.0
        assert isinstance(obj["alternatives"], list)
        assert obj["answer"]
    assert [o["question"] for o in objects] == ["смс не приходит", "привет", "какая завтра погода"]
    assert objects[0]["topic"] == "login_code"
    assert objects[1]["topic"] is None
    assert objects[2]["topic"] is None
    # ensure_ascii=False: Russian text stays readable.
    assert "смс" in lines[0]


def test_ask_reads_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("как пригласить родителей\n\nсферум переехал в макс?\n")
    )
    assert _run(["ask", "--json", "-"]) == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["topic"] for o in objects] == ["invite", "max"]


def test_ask_readable_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["ask", "как включить демонстрацию экрана"]) == 0
    out = capsys.readouterr().out
    assert "Тема: Звонки и видеоуроки (calls)" in out
    assert "web.vk.me" in out


def test_faq_eval_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "set.tsv"
    path.write_text(
        "login_code\tсмс не приходит\nnone\tкакая завтра погода\nmax\tкак пригласить родителей\n",
        encoding="utf-8",
    )
    assert _run(["faq-eval", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == 3
    assert report["correct"] == 2
    assert report["accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    assert report["per_topic"] == {
        "login_code": {"total": 1, "correct": 1},
        "max": {"total": 1, "correct": 0},
        "none": {"total": 1, "correct": 1},
    }
    assert report["misses"] == [
        {"question": "как пригласить родителей", "expected": "max", "got": "invite"}
    ]


def test_faq_eval_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "set.tsv"
    path.write_text("calls\tкак провести видеоурок\n", encoding="utf-8")
    assert _run(["faq-eval", str(path)]) == 0
    assert "Точность: 1 из 1 (100.0 %)" in capsys.readouterr().out


def test_faq_eval_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["faq-eval", str(tmp_path / "nope.tsv")]) == 1
    err = capsys.readouterr().err
    assert "файл не найден" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("login_code смс не приходит\n", "строка 1: ожидалось «тема<TAB>вопрос»"),
        ("calls\tзвонок\nwhatever\tвопрос\n", "строка 2: неизвестная тема «whatever»"),
    ],
)
def test_faq_eval_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    assert _run(["faq-eval", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_ask_uses_school_faq_file_from_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "school.toml").write_text(
        '[[topic]]\nid = "canteen"\ntitle = "Столовая"\nanswer = "Меню — у входа в столовую."\n'
        'examples = ["где меню столовой", "что на обед в столовой", "когда работает столовая"]\n',
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"
    config.write_text('[[schools]]\nid = "s1"\nfaq_file = "school.toml"\n', encoding="utf-8")
    assert _run(["ask", "--config", str(config), "--json", "что сегодня на обед в столовой"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["topic"] == "canteen"
    assert obj["answer"] == "Меню — у входа в столовую."


def test_ask_reports_bad_school_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "school.toml").write_text(
        '[[topic]]\nid = "contact"\nanswer = ""\n', encoding="utf-8"
    )
    config = tmp_path / "config.toml"
    config.write_text('[[schools]]\nid = "s1"\nfaq_file = "school.toml"\n', encoding="utf-8")
    assert _run(["ask", "--config", str(config), "вопрос"]) == 1
    assert 'база знаний school.toml: запись "contact": пустой ответ' in capsys.readouterr().err
