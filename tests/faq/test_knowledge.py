"""School override files and database entries: validation and precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.faq import FaqEngine, KnowledgeBaseError, load_knowledge_base, render


def _write(tmp_path: Path, text: str, name: str = "school.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_override_file_changes_answer_and_adds_topic(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[topic]]
id = "calls"
answer = "У нас видеоуроки ведут только из кабинета информатики. Кто поможет: {responsible}."

[[topic]]
id = "canteen"
title = "Столовая"
answer = "Меню столовой — на сайте школы."
examples = ["где меню столовой", "что сегодня в столовой", "во сколько обед в столовой"]
keywords = ["столовая", "обед", "меню"]
""",
    )
    engine = FaqEngine.load(overrides_path=path)
    calls = engine.ask("как включить демонстрацию экрана", {"responsible": "Петрова А. И."})
    assert calls.topic == "calls"
    assert calls.answer.startswith("У нас видеоуроки")
    assert "Петрова А. И." in calls.answer
    # Bundled examples still count for an overridden topic.
    assert len(engine.topics["calls"].examples) > 10
    assert engine.ask("что в столовой на обед").topic == "canteen"
    assert engine.topics["canteen"].school_specific


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[topic]]\nid = "calls"\nanswer = "' + "а" * 1001 + '"\n',
            'запись "calls": ответ длиннее 1000 символов',
        ),
        (
            '[[topic]]\nid = "calls"\ntitle = "' + "б" * 41 + '"\n',
            'запись "calls": заголовок длиннее 40 символов',
        ),
        (
            '[[topic]]\nid = "calls"\nanswr = "опечатка"\n',
            'запись "calls": неизвестное поле "answr"',
        ),
        (
            '[[topic]]\nid = "new_one"\ntitle = "Новое"\n',
            'запись "new_one": новой теме нужно поле "answer"',
        ),
        (
            '[[topic]]\nid = "calls"\nanswer = "Спросите {director}"\n',
            'запись "calls": в ответе неизвестная подстановка {director}',
        ),
        ('[[topic]]\nid = "Calls!"\n', 'запись "Calls!": идентификатор темы'),
        ('[[topic]]\ntitle = "Без id"\n', 'запись №1: нет поля "id"'),
        (
            '[[topic]]\nid = "calls"\nexamples = "не список"\n',
            'запись "calls": поле "examples" должно быть списком строк',
        ),
        ("[[topic]\nid = 1\n", "ошибка TOML"),
    ],
)
def test_bad_override_file_names_the_entry(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(path)
    text = str(info.value)
    assert text.startswith("база знаний school.toml: ")
    assert message in text


def test_missing_override_file(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="файл не найден"):
        load_knowledge_base(tmp_path / "nope.toml")


def test_database_entries_take_precedence_over_file(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[topic]]\nid = "contact"\nanswer = "Из файла."\n')
    base = load_knowledge_base(path)
    engine = FaqEngine.build(base, overrides=[{"id": "contact", "answer": "Из базы данных."}])
    assert engine.topics["contact"].answer == "Из базы данных."
    assert FaqEngine.build(base).topics["contact"].answer == "Из файла."


def test_database_entry_validation_error() -> None:
    base = load_knowledge_base()
    with pytest.raises(KnowledgeBaseError, match='запись "contact": ответ длиннее 1000'):
        FaqEngine.build(base, overrides=[{"id": "contact", "answer": "я" * 1001}])


def test_render_defaults_and_unknown_placeholders() -> None:
    assert render("Кто поможет: {responsible}.") == "Кто поможет: ответственный за Сферум в школе."
    assert render("{responsible}", {"responsible": "  "}) == "ответственный за Сферум в школе"
    assert render("{responsible}", {"responsible": "Иванова"}) == "Иванова"
    assert render("{other} {", {}) == "{other} {"


def test_my_status_answer_is_a_placeholder() -> None:
    kb = load_knowledge_base()
    assert "команда" in kb.topics["my_status"].answer


def test_school_file_adds_offtopic_phrases(tmp_path: Path) -> None:
    """A school's [offtopic] phrases are added to the bundled ones and turn such questions away."""
    path = _write(tmp_path, '[offtopic]\nphrases = ["график дежурства в гардеробе"]\n')
    kb = load_knowledge_base(path)
    assert "график дежурства в гардеробе" in kb.offtopic
    assert len(kb.offtopic) > 1
    assert FaqEngine(kb).ask("кто дежурит в гардеробе").topic is None


def test_offtopic_section_is_validated(tmp_path: Path) -> None:
    """An unknown field in [offtopic] is refused with the file named."""
    path = _write(tmp_path, '[offtopic]\nwords = ["отпуск"]\n')
    with pytest.raises(KnowledgeBaseError) as error:
        load_knowledge_base(path)
    assert str(error.value).startswith("база знаний school.toml: ")
