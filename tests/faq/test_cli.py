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
        assert list(obj) == [
            "question", "topic", "confidence", "answer", "alternatives", "kind", "entry",
        ]
        assert 0.0 <= obj["confidence"] <= 1.0
        assert isinstance(obj["alternatives"], list)
        assert obj["answer"]
    assert [o["question"] for o in objects] == ["смс не приходит", "привет", "какая завтра погода"]
    assert (objects[0]["topic"], objects[0]["kind"]) == ("login_code", "answer")
    assert objects[0]["entry"] == "login_code.no_sms"
    assert (objects[1]["topic"], objects[1]["kind"], objects[1]["entry"]) == (None, "greeting", None)
    assert (objects[2]["topic"], objects[2]["kind"], objects[2]["entry"]) == (None, "unknown", None)
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
    """The readable answer names the topic, the entry and the topic's other entries."""
    assert _run(["ask", "--messenger", "vk", "как включить демонстрацию экрана"]) == 0
    out = capsys.readouterr().out
    assert "Тема: Звонки и видеоуроки (calls)" in out
    assert "Ответ: Демонстрация экрана (calls.screen)" in out
    assert "Ещё в теме: Начать видеозвонок" in out
    assert "web.vk.me" in out


def test_ask_messenger_picks_the_variant(capsys: pytest.CaptureFixture[str]) -> None:
    """--messenger vk gives the VK steps, max (the default) the MAX ones; same entry."""
    question = "как открыть сферум на ноутбуке"
    assert _run(["ask", "--json", "--messenger", "vk", question]) == 0
    vk = json.loads(capsys.readouterr().out)
    assert _run(["ask", "--json", question]) == 0
    default = json.loads(capsys.readouterr().out)
    assert vk["entry"] == default["entry"] == "web_version.open"
    assert "web.vk.me" in vk["answer"] and "web.max.ru" not in vk["answer"]
    assert "web.max.ru" in default["answer"]


def test_ask_messenger_defaults_to_the_schools_preference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a config of one school, its messenger_preference picks the variant."""
    config = tmp_path / "config.toml"
    config.write_text('[[schools]]\nid = "s1"\nmessenger_preference = "vk"\n', encoding="utf-8")
    assert _run(["ask", "--config", str(config), "--json", "как открыть сферум на ноутбуке"]) == 0
    assert "web.vk.me" in json.loads(capsys.readouterr().out)["answer"]
    assert _run(["ask", "--config", str(config), "--messenger", "max", "--json", "веб версия"]) == 0
    assert "web.max.ru" in json.loads(capsys.readouterr().out)["answer"]


def test_ask_my_status_and_contact_are_answers(capsys: pytest.CaptureFixture[str]) -> None:
    """my_status and contact answer with kind "answer" and their entries."""
    assert _run(["ask", "--json", "покажи мою статистику за эту неделю", "с кем в школе говорить о сферуме"]) == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["kind"], o["entry"]) for o in objects] == [
        ("answer", "my_status.how"), ("answer", "contact.person"),
    ]


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
    assert report["top2_correct"] >= 2
    assert report["direct"] == 2 and report["direct_correct"] == 1
    assert report["confusion"] == {
        "login_code": {"login_code": 1},
        "max": {"invite": 1},
        "none": {"none": 1},
    }


def test_faq_eval_accepts_alternatives(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`a|b` in the expected column counts either topic as right and keys the report."""
    path = tmp_path / "set.tsv"
    path.write_text(
        "max|invite\tкак пригласить родителей\nrole|none\tсмс не приходит\n", encoding="utf-8"
    )
    assert _run(["faq-eval", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["total"], report["correct"]) == (2, 1)
    assert report["per_topic"]["max|invite"] == {"total": 1, "correct": 1}
    assert report["confusion"]["role|none"] == {"login_code": 1}


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
        ("calls|wat\tзвонок\n", "строка 1: неизвестная тема «wat»"),
        ("calls|\tзвонок\n", "строка 1: пустая тема"),
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
    assert 'база знаний school.toml: строка 1, запись "contact": пустой ответ' in capsys.readouterr().err
