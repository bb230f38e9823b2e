"""Labelled questions: parsing with line numbers, accepted labels, classifier samples."""

from __future__ import annotations

import pytest

from bot.faq import FaqEngine, KnowledgeBaseError
from bot.faq.questions import accepted, bundled_questions, parse_labelled, question_samples

TOPICS = {"register", "login_code", "max"}


def test_rows_keep_labels_and_skip_blank_lines() -> None:
    rows = parse_labelled("register\tкак зарегаться\n\n max | register \tсферум в максе\nnone\tпогода\n", "q.tsv", TOPICS)
    assert rows == [("register", "как зарегаться"), ("max|register", "сферум в максе"), ("none", "погода")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("register\tok\nбез табуляции\n", "q.tsv, строка 2: ожидалось «тема<TAB>вопрос»"),
        ("register\tok\nregister\t\n", "q.tsv, строка 2: ожидалось «тема<TAB>вопрос»"),
        ("\n\nweather\tпогода\n", "q.tsv, строка 3: неизвестная тема «weather»"),
        ("max|\tсферум\n", "q.tsv, строка 1: пустая тема в «max|»"),
        ("a\tb\tc\n", "q.tsv, строка 1: ожидалось «тема<TAB>вопрос»"),
    ],
)
def test_a_bad_row_is_named_by_file_and_line(text: str, message: str) -> None:
    with pytest.raises(KnowledgeBaseError) as error:
        parse_labelled(text, "q.tsv", TOPICS)
    assert str(error.value) == message


def test_accepted_labels() -> None:
    assert accepted("none") == {None}
    assert accepted("max|register") == {"max", "register"}


def test_samples_of_none_and_two_labels() -> None:
    """`none` trains the off-topic class "", `a|b` gives two half samples; a question with a topic
    the classifier does not learn, or with no content word, gives none."""
    rows = [("none", "рецепт борща"), ("max|register", "вход в макс"), ("login_code", "смс"), ("register", "привет")]
    words = {"рецепт борща": ["рецепт", "борщ"], "вход в макс": ["вход", "max"], "смс": ["смс"], "привет": []}
    samples, weights = question_samples(rows, lambda q: words[q], {"max", "register"})
    assert samples == [(["рецепт", "борщ"], ""), (["вход", "max"], "max"), (["вход", "max"], "register")]
    assert weights == [1.0, 0.5, 0.5]


def test_the_bundled_questions_are_valid_and_many() -> None:
    engine = FaqEngine.load()
    rows = bundled_questions(engine.topics)
    assert len(rows) >= 2000
    assert {t for expected, _ in rows for t in accepted(expected)} >= {None, *engine.topics}
