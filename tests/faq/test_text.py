"""Normalization, lemmatization and typo repair."""

from __future__ import annotations

from bot.faq import FaqEngine, lemma, normalize
from bot.faq.text import Vocabulary, tokenize


def test_normalize_case_yo_punctuation() -> None:
    assert normalize("Ещё раз: СМС-код НЕ пришёл!!!") == "еще раз смс код не пришел"


def test_latin_lookalikes_inside_cyrillic_words() -> None:
    # "c" and "p" below are Latin letters.
    assert normalize("cферум пpиглашение") == "сферум приглашение"
    # Words written wholly in Latin stay Latin: they are names (max, whatsapp).
    assert normalize("MAX WhatsApp") == "max whatsapp"


def test_repeated_letters_collapse() -> None:
    assert tokenize("приииивет спасибооо") == ["привет", "спасибо"]


def test_lemma_with_yo_and_e_is_the_same() -> None:
    assert lemma("ёлки") == lemma("елки") == "елка"
    assert lemma("пришёл") == lemma("пришел") == "прийти"


def test_lemma_of_case_endings() -> None:
    assert lemma("родителям") == "родитель"
    assert lemma("сферуме") == "сферум"


def test_typo_repair_against_vocabulary(engine: FaqEngine) -> None:
    assert engine.vocab.features("демонстрацыя экрана") == engine.vocab.features(
        "демонстрация экрана"
    )
    assert "регистрация" in engine.vocab.features("как зарегистрироватся")


def test_synonyms(engine: FaqEngine) -> None:
    assert engine.vocab.features("вотсап") == ["whatsapp"]
    assert engine.vocab.features("ватсапе") == ["whatsapp"]
    assert engine.vocab.features("телега") == ["telegram"]
    assert engine.vocab.features("вайбер") == ["viber"]
    assert engine.vocab.features("макс") == ["max"]
    assert engine.vocab.features("электронным журналом") == ["эжд"]
    assert engine.vocab.features("эжд") == ["эжд"]


def test_stop_words_dropped(engine: FaqEngine) -> None:
    assert engine.vocab.features("а как же это вот") == []


def test_slang_past_tense_and_fillers(engine: FaqEngine) -> None:
    """«зарегалась» reads as registering; «чё», «щас» and «пошагово» carry no topic."""
    assert engine.vocab.features("зарегалась") == ["регистрация"]
    assert engine.vocab.features("чё щас пошагово") == []
    assert engine.vocab.features("неподтвержденный") == engine.vocab.features("подтвержденный")


def test_word_split_by_a_space_is_glued(engine: FaqEngine) -> None:
    """«гос услуги» reads as «госуслуги»; two real words are not glued."""
    assert engine.vocab.features("гос услуги") == engine.vocab.features("госуслуги")
    assert engine.vocab.features("сферум школа") == ["сферум", "школа"]


def test_rambling_fillers_carry_no_topic(engine: FaqEngine) -> None:
    """Addresses and hearsay («девочки, слышала, правда») are not topic words."""
    assert engine.vocab.features("девочки слышала правда извините за беспокойство") == []


def test_phrase_synonyms_take_precedence(engine: FaqEngine) -> None:
    """«считает меня» is about the role, «свяжите меня» asks for a person."""
    assert "числиться" in engine.vocab.features("сферум считает меня учеником")
    assert "считаться" in engine.vocab.features("как считают сообщения")
    assert engine.vocab.features("свяжите с кем-нибудь") == ["связаться"]


def test_phrase_matches_with_any_variant_of_its_words() -> None:
    """A phrase synonym matches when its words come as their own one-word synonyms:
    «привязаться к своей оу» is «привязаться к своей школе» (joining, not the journal)."""
    vocab = Vocabulary({"школа": ["оу"], "присоединиться": ["привязаться к свой школа"]})
    assert vocab.features("как привязаться к своей оу") == ["присоединиться"]
    assert vocab.features("привязаться к своей школе") == ["присоединиться"]
    assert vocab.features("оу") == ["школа"]


def test_canonical_form_of_several_words_keeps_them() -> None:
    """«не вижу своей школы» is looking for the school: the school stays a word of the question."""
    vocab = Vocabulary({"найти школа": ["не видеть свой школа"]})
    assert vocab.features("не вижу своей школы") == ["найти", "школа"]


def test_ambiguous_form_takes_the_reading_the_vocabulary_knows() -> None:
    """«перешли» is «переслать» first for pymorphy3, «перейти» for a vocabulary that knows
    moving; a function-word reading («чем» as «что») is never taken."""
    vocab = Vocabulary({"перенести": ["перейти"]})
    assert vocab.features("родители перешли") == ["родитель", "переслать"]
    vocab.learn(["перейти в макс"])
    assert vocab.features("родители перешли") == ["родитель", "перенести"]
    vocab.learn(["что"])
    assert "что" not in vocab.lemmas("чем плох")


def test_school_shift_is_not_a_change(engine: FaqEngine) -> None:
    """«вторая смена» is the school's timetable, not «поменять»: it stays off-topic."""
    assert "поменять" not in engine.vocab.features("во сколько вторая смена")
    assert engine.ask("когда у второй смены начинаются уроки").kind == "unknown"


def test_data_is_not_giving(engine: FaqEngine) -> None:
    """«эти данные» is the noun (data) in every case, not the participle of «дать»;
    «дай человека» asks for a person."""
    assert lemma("данные") == lemma("данных") == "данные"
    assert "дать" not in engine.vocab.features("откуда эти данные")
    assert engine.vocab.features("дай человека") == ["связаться"]
