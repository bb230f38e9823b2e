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


def test_school_file_overrides_and_adds_entries(tmp_path: Path) -> None:
    """A school's [[entry]] changes a bundled entry's text (all variants) or adds its own."""
    path = _write(
        tmp_path,
        """
[[entry]]
id = "join_school.change"
answer = "У нас школу меняют через секретаря, кабинет 5."

[[entry]]
id = "calls.room"
title = "Кабинет для видеоуроков"
answer = "Видеоуроки ведут из кабинета 12."
examples = ["из какого кабинета вести видеоурок", "где кабинет для онлайн уроков"]
""",
    )
    engine = FaqEngine.load(overrides_path=path)
    changed = engine.ask("как сменить школу в профиле", messenger="vk")
    assert (changed.entry, changed.answer) == ("join_school.change", "У нас школу меняют через секретаря, кабинет 5.")
    assert engine.entry_by_id["join_school.change"].text("max") == changed.answer
    added = engine.ask("из какого кабинета вести видеоурок")
    assert (added.topic, added.entry) == ("calls", "calls.room")
    assert engine.entry_by_id["calls.room"].school_specific


def test_school_answer_for_a_topic_replaces_its_entries(tmp_path: Path) -> None:
    """A topic answer from the school (file or deputy) is the topic's one entry `<topic>.school`."""
    path = _write(tmp_path, '[[topic]]\nid = "calls"\nanswer = "Звонки — только из кабинета 12."\n')
    kb = load_knowledge_base(path)
    assert [e.id for e in kb.entries_of("calls")] == ["calls.school"]
    assert len(load_knowledge_base().entries_of("calls")) > 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('\n[[entry]]\nid = "calls.new"\ntitle = "Новое"\nexamples = ["а"]\n', 'строка 2, запись "calls.new": новой записи нужно поле "answer"'),
        ('[[entry]]\nid = "nope.new"\ntitle = "Т"\nanswer = "О"\nexamples = ["а"]\n', 'строка 1, запись "nope.new": нет темы "nope"'),
        ('[[entry]]\nid = "calls"\n', 'строка 1, запись "calls": идентификатор записи'),
        ('[[entry]]\nid = "calls.screen"\nvk = "' + "я" * 1001 + '"\n', "строка 1, запись \"calls.screen\": ответ длиннее 1000"),
        ('[[entry]]\nid = "calls.screen"\ntitel = "x"\n', 'строка 1, запись "calls.screen": неизвестное поле "titel"'),
        ('[[entry]]\nid = "calls.a1"\ntitle = "А"\nanswer = "Б"\nexamples = ["в"]\n\n[[entry]]\nid = "calls.a1"\n',
         'строка 7, запись "calls.a1": запись повторяется'),
        ('[[topic]]\nid = "calls"\n\n[[topic]]\nid = "calls"\n', 'строка 4, запись "calls": тема повторяется'),
        ("[weights]\nmax = \"мало\"\n", 'раздел weights.max: поле "max" должно быть числом'),
    ],
)
def test_bad_entries_are_named_with_their_line(tmp_path: Path, body: str, message: str) -> None:
    """Errors in [[entry]] and [[topic]] tables name the file, the line and the entry."""
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(_write(tmp_path, body))
    assert str(info.value).startswith("база знаний school.toml: ")
    assert message in str(info.value)


def test_bundled_files_validate_and_cover_every_topic() -> None:
    """The shipped kb.toml and entries.toml load; every spec topic has entries."""
    kb = load_knowledge_base()
    assert all(kb.entries_of(t) for t in kb.topics)
    assert len(kb.entries) >= 60
    assert kb.weights["max"] < 1
