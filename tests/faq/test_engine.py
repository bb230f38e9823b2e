"""Decisions of the engine: answer, choose, unknown, small talk."""

from __future__ import annotations

import pytest

from bot.faq import SPEC_TOPIC_IDS, FaqEngine


def test_every_spec_topic_present_with_short_answer(engine: FaqEngine) -> None:
    for topic_id in SPEC_TOPIC_IDS:
        topic = engine.topics[topic_id]
        assert topic.title and len(topic.title) <= 40
        assert 0 < len(topic.answer) <= 1000
        assert len(topic.examples) >= 10


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("смс не приходит", "login_code"),
        ("СМС НЕ ПРИШЛО!!!", "login_code"),
        ("как пригласить родителей в сферум", "invite"),
        ("почему нельзя вотсап для школы", "rules"),
        ("как перевести родительский чат из вайбера", "migration"),
        ("сферум переехал в макс?", "max"),
        ("как связать сферум с электронным журналом", "ejd"),
        ("как включить демонстрацию экрана", "calls"),
    ],
)
def test_answers_spec_examples(engine: FaqEngine, question: str, topic: str) -> None:
    result = engine.ask(question)
    assert result.topic == topic
    assert result.kind in ("answer", "choice")
    assert 0.0 <= result.confidence <= 1.0


def test_answer_kind_renders_topic_text(engine: FaqEngine) -> None:
    result = engine.ask("не приходит смс с кодом", {"responsible": "Иванова Мария Петровна"})
    assert result.kind == "answer"
    assert "Иванова Мария Петровна" in result.answer
    assert "{responsible}" not in result.answer


def test_typos_and_lookalikes_still_answer(engine: FaqEngine) -> None:
    # Latin "c" in «cферум», misspelt «зарегистрироватся», «демонстрацыю».
    assert engine.ask("как зарегистрироватся в cферуме").topic == "register"
    assert engine.ask("как включить демонстрацыю экрана").topic == "calls"


def test_yo_and_e_give_same_result(engine: FaqEngine) -> None:
    assert (
        engine.ask("чат перенесён куда сообщить").topic
        == engine.ask("чат перенесен куда сообщить").topic
        == "migration"
    )


def test_unknown_for_unrelated_questions(engine: FaqEngine) -> None:
    for question in ("какая завтра погода", "расскажи анекдот", "рецепт пирога с капустой"):
        result = engine.ask(question)
        assert result.kind == "unknown", question
        assert result.topic is None
        assert result.alternatives == []
        assert "ответственн" in result.answer


def test_smalltalk_gets_short_reply_not_article(engine: FaqEngine) -> None:
    for question in ("привет", "Добрый день!", "спасибо большое", "как дела?", "до свидания"):
        result = engine.ask(question)
        assert result.kind == "greeting", question
        assert result.topic is None
        assert len(result.answer) < 200


def test_greeting_with_question_answers_the_question(engine: FaqEngine) -> None:
    result = engine.ask("здравствуйте, не приходит смс")
    assert result.kind in ("answer", "choice")
    assert result.topic == "login_code"


def test_choose_when_two_topics_are_close(engine: FaqEngine) -> None:
    # Two school topics written with the same words: neither may win outright.
    twins = FaqEngine.build(
        engine.kb,
        overrides=[
            {
                "id": "canteen_menu",
                "title": "Меню столовой",
                "answer": "Меню висит у входа в столовую.",
                "examples": ["меню столовой", "что в столовой на обед"],
            },
            {
                "id": "canteen_pay",
                "title": "Оплата столовой",
                "answer": "Питание оплачивают через бухгалтерию.",
                "examples": ["меню столовой", "что в столовой на обед"],
            },
        ],
    )
    result = twins.ask("что сегодня на обед в столовой")
    assert result.kind == "choice"
    assert {result.topic, *result.alternatives} == {"canteen_menu", "canteen_pay"}
    assert "Меню столовой" in result.answer and "Оплата столовой" in result.answer


def test_my_status_needs_a_personal_word(engine: FaqEngine) -> None:
    assert engine.ask("какая у меня статистика").topic == "my_status"
    assert engine.ask("когда обновляется статистика").topic == "monitoring"


def test_alternatives_never_contain_the_topic(engine: FaqEngine) -> None:
    result = engine.ask("как создать класс в сферуме")
    assert result.topic not in result.alternatives
    assert len(result.alternatives) == len(set(result.alternatives))


def test_school_life_questions_get_no_topic(engine: FaqEngine) -> None:
    """Questions tied to a topic only by generic school words («собрание») get no topic."""
    for question in (
        "когда будет родительское собрание в 5а",
        "педсовет во сколько",
        "когда выдадут зарплату",
    ):
        result = engine.ask(question)
        assert result.kind == "unknown", question
        assert result.topic is None and result.alternatives == []


def test_sferum_words_outweigh_school_words(engine: FaqEngine) -> None:
    """A meeting held over a Сферум call is still the calls topic."""
    assert engine.ask("как провести родительское собрание онлайн в сферуме").topic == "calls"
    assert engine.ask("как мне зарегистрироваться в сферум я учитель истории").topic == "register"


def test_without_offtopic_phrases_the_engine_still_works(engine: FaqEngine) -> None:
    """The off-topic class is optional: a knowledge base without it answers as before."""
    from dataclasses import replace

    bare = FaqEngine(replace(engine.kb, offtopic=()))
    assert bare.ask("смс не приходит").topic == "login_code"
    assert bare.ask("какая завтра погода").topic is None


def test_avoided_words_lower_a_topic(engine: FaqEngine) -> None:
    """Registering a pupil is the invitation topic; the teacher's own registration is not."""
    assert engine.ask("как зарегистрировать первоклассника без телефона").topic == "invite"
    assert engine.ask("как мне зарегистрироваться учителю начальных классов").topic == "register"
    custom = FaqEngine.build(engine.kb, overrides=[{"id": "invite", "avoids": ["ребенок"]}])
    assert custom.topics["invite"].avoids == ("ребенок",)


def test_role_needs_a_role_word(engine: FaqEngine) -> None:
    """«учитель» alone is a self-introduction; a wrong role is named."""
    assert engine.ask("я учитель, куда нажимать чтобы зарегистрироваться").topic == "register"
    assert engine.ask("я учитель а стою как ученик").topic == "role"


def test_consequences_and_compulsion_are_rules(engine: FaqEngine) -> None:
    """«что будет если…», «могут ли требовать» are about the rules."""
    assert engine.ask("что мне будет если останусь в вотсапе").topic == "rules"
    assert engine.ask("имеют ли право требовать сферум").topic == "rules"


def test_rambling_opening_weighs_less_than_the_question(engine: FaqEngine) -> None:
    """When a message ends with its question, the opening clauses are context."""
    question = (
        "добрый день, у нас в школе сказали что все должны быть в сферуме до конца недели, "
        "а я в этом совсем не разбираюсь, как туда зарегистрироваться"
    )
    assert engine.ask(question).topic == "register"
    assert engine.ask("перенесла чат из вайбера, надо кому-то сообщить?").topic == "migration"


def test_getting_in_without_a_failure_is_registration(engine: FaqEngine) -> None:
    """«как зайти в сферум через вк» answers registration; a failing login is login_code."""
    result = engine.ask("как зайти в сферум через вк?")
    assert (result.kind, result.topic) == ("answer", "register")
    assert engine.ask("не могу зайти в сферум через вк, пишет неверный код").topic == "login_code"
