"""The learned topic classifier (bot/faq/learned.py) and how the engine blends it in."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import bot.faq.engine as engine_module
from bot.faq import FaqEngine
from bot.faq.learned import (
    TopicClassifier,
    _trained,
    as_samples,
    bundled_model_path,
    features,
    samples_key,
    saved_for_inputs,
)
from bot.faq.tuning import LEARNED_C, OFFTOPIC_LEARNED_WEIGHT

#: A tiny training set: three topics, a few phrasings each (content lemmas, synonyms applied).
SAMPLES: list[tuple[list[str], str]] = [
    (["видеозвонок", "класс"], "calls"),
    (["начать", "видеозвонок"], "calls"),
    (["демонстрация", "экран", "звонок"], "calls"),
    (["код", "смс", "прийти"], "login_code"),
    (["смс", "код", "ждать"], "login_code"),
    (["код", "вход", "номер"], "login_code"),
    (["зарплата", "бухгалтерия"], ""),
    (["расписание", "урок", "завтра"], ""),
]


def test_features_are_words_pairs_and_padded_character_ngrams() -> None:
    words, chars = features(["смс", "код", "смс"])
    assert words == {"смс": 2, "код": 1, "смс код": 1, "код смс": 1}
    # « смс »: 2-grams « с», «см», «мс», «с »; 3- to 5-grams up to the whole padded word.
    assert chars[" с"] == 2 and chars["мс "] == 2 and chars[" смс "] == 2
    assert chars[" ко"] == 1 and " код " in chars
    assert not any(len(gram) > 5 or len(gram) < 2 for gram in chars)


def test_probabilities_cover_every_label_and_sum_to_one() -> None:
    model = TopicClassifier.train(SAMPLES, c=10.0)
    assert model is not None
    found = model.probabilities(["смс", "код"])
    assert set(found) == {"", "calls", "login_code"}
    assert sum(found.values()) == pytest.approx(1.0)
    assert max(found, key=found.__getitem__) == "login_code"
    # A text with no known feature falls back to the priors, still a distribution.
    unknown = model.probabilities(["абракадабра"])
    assert sum(unknown.values()) == pytest.approx(1.0)
    assert model.probabilities([]) == model.probabilities(["ъъъъъъъъ"])


def test_training_is_deterministic() -> None:
    """No randomness: the same phrasings give the same weights, bit for bit."""
    first = TopicClassifier.fit(SAMPLES, c=10.0)
    second = TopicClassifier.fit(list(reversed(SAMPLES)), c=10.0)
    assert first is not None and second is not None
    assert first.labels == second.labels and first.word_index == second.word_index
    assert np.allclose(first.weights, second.weights, atol=1e-6)
    again = TopicClassifier.fit(SAMPLES, c=10.0)
    assert again is not None and again is not first
    assert np.array_equal(first.weights, again.weights)
    assert first.probabilities(["звонок"]) == again.probabilities(["звонок"])


def test_the_same_samples_are_trained_once() -> None:
    """Schools whose phrasings are the bundled ones share one model; new phrasings retrain."""
    first = TopicClassifier.train(SAMPLES, c=10.0)
    assert TopicClassifier.train(list(SAMPLES), c=10.0) is first
    other = TopicClassifier.train([*SAMPLES, (["звонок", "родитель"], "calls")], c=10.0)
    assert other is not None and other is not first
    assert TopicClassifier.train(SAMPLES, c=1.0) is not first


def test_character_ngrams_carry_unseen_word_forms_and_typos() -> None:
    """«видеозвонки», «видиозвонок» are in no phrasing; their letters still point to calls."""
    model = TopicClassifier.train(SAMPLES, c=10.0)
    assert model is not None
    for form in ("видеозвонки", "видиозвонок", "демонстрацию"):
        found = model.probabilities([form])
        assert max(found, key=found.__getitem__) == "calls", form


def test_nothing_to_tell_apart_gives_no_classifier() -> None:
    assert TopicClassifier.train([(["код"], "login_code"), (["смс"], "login_code")], c=10.0) is None
    assert TopicClassifier.train([([], "calls"), (["код"], "login_code")], c=10.0) is None
    assert TopicClassifier.train([], c=10.0) is None


def test_stronger_regularisation_gives_softer_probabilities() -> None:
    soft = TopicClassifier.train(SAMPLES, c=0.1)
    sharp = TopicClassifier.train(SAMPLES, c=100.0)
    assert soft is not None and sharp is not None
    question = ["смс", "код"]
    assert soft.probabilities(question)["login_code"] < sharp.probabilities(question)["login_code"]


def test_engine_trains_on_every_topic_and_the_offtopic_class(engine: FaqEngine) -> None:
    assert engine.classifier is not None
    assert set(engine.classifier.labels) == {*engine.topics, ""}


def test_a_school_that_changes_only_answers_shares_the_bundled_model(
    engine: FaqEngine, tmp_path: Path
) -> None:
    path = tmp_path / "school.toml"
    path.write_text(
        '[[entry]]\nid = "join_school.change"\nanswer = "У нас школу меняют через секретаря."\n',
        encoding="utf-8",
    )
    # Other tests' engines may have pushed the bundled model out of the cache: train it now.
    bundled = FaqEngine(engine.kb)
    school = FaqEngine.load(overrides_path=path)
    assert school.entry_by_id["join_school.change"].answer.startswith("У нас")
    assert school.classifier is bundled.classifier
    # A topic answer replaces the topic's entries, and so their phrasings, and a phrasing of the
    # school's own is added: both are left to the lexical score, the model stays the shared one.
    other = FaqEngine.build(engine.kb, overrides=[{"id": "contact", "answer": "Звоните завучу."}])
    assert other.classifier is bundled.classifier
    worded = FaqEngine.build(engine.kb, overrides=[{"id": "calls", "answer": "У нас звонки в MAX.",
                                                     "examples": ["где кнопка видеосвязи в кабинете 5"]}])
    assert worded.classifier is bundled.classifier
    assert worded.ask("где кнопка видеосвязи в кабинете 5").topic == "calls"


def test_an_engine_of_changed_bundled_data_trains_its_own(engine: FaqEngine) -> None:
    """Not a school's: the bundled data itself changed (a fold of the cross-validation, a file
    edited before `python -m bot.faq.build_model`): the model is trained for it."""
    entries = {k: e for k, e in engine.kb.entries.items() if k != "calls.computer"}
    changed = FaqEngine(replace(engine.kb, entries=entries))
    assert changed.classifier is not None and changed.classifier is not engine.classifier


def test_a_school_topic_is_left_to_the_lexical_score(engine: FaqEngine) -> None:
    """A school's own topic shares the bundled model and still answers its questions."""
    bundled = FaqEngine(engine.kb)
    school = FaqEngine.build(
        engine.kb,
        overrides=[
            {
                "id": "canteen",
                "title": "Столовая",
                "answer": "Меню — на сайте школы.",
                "examples": ["где меню столовой", "что сегодня на обед", "во сколько обед"],
            }
        ],
    )
    assert school.classifier is bundled.classifier
    assert school.ask("меню столовой на завтра").topic == "canteen"
    question = "меню столовой на завтра"
    assert dict(school.scores(question))["canteen"] == dict(school.lexical_scores(question))["canteen"]


def test_the_blend_only_lifts_lexical_scores(engine: FaqEngine) -> None:
    """The classifier only lifts a topic; what lowers them all is its off-topic class, by one share."""
    for question in ("смс не приходит", "как вступить в школу если у меня роль учитель в другой школе",
                     "профиль", "я в этом месяце набрала нужное"):
        lexical = dict(engine.lexical_scores(question))
        blended = dict(engine.scores(question))
        assert engine.classifier is not None
        lemmas = engine.vocab.features(question)
        heavy = [f for f in lemmas if engine.kb.weights.get(f, 1.0) > 1.0]
        offtopic = engine.classifier.probabilities(lemmas + heavy)[""]
        damping = 1.0 - OFFTOPIC_LEARNED_WEIGHT * offtopic
        assert all(blended[t] >= score * damping - 1e-9 for t, score in lexical.items()), question


def test_the_off_topic_class_hands_off_school_life(engine: FaqEngine) -> None:
    """A school-life question tied to a topic by one word is handed off; the ratios between
    topics (and so the choices) stay as the lexical and learned scores made them."""
    question = "где взять справку с места работы"
    assert engine.lexical_scores(question)[0][1] >= 0.26
    assert engine.ask(question).kind == "unknown"
    assert engine.ask("смс не приходит").topic == "login_code"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # Lexically below the threshold: no phrasing says «набрать нужное».
        ("я в этом месяце набрала нужное", "my_status"),
        # Lexically `web_version` (by «профиль … вк»); what is asked is the school account itself.
        # (Round eight's phrasings taught the lexical score an earlier example, «как вступить в школу
        # если у меня роль учитель в другой школе»; round nine's turned the classifier from «кто мне
        # даст ссылку для входа в нашу организацию» to `invite`.)
        ("учебный профиль это отдельно от вк или как", "register"),
    ],
)
def test_the_classifier_answers_what_the_lexical_engine_misses(
    engine: FaqEngine, question: str, topic: str
) -> None:
    lexical = engine.lexical_scores(question)
    assert not lexical or lexical[0][0] != topic or lexical[0][1] < 0.26
    answer = engine.ask(question)
    assert (answer.kind, answer.topic) == ("answer", topic)


def test_one_known_word_does_not_make_the_classifier_answer(engine: FaqEngine) -> None:
    """«кто» alone is `contact` to a classifier trained on the phrasings only; the rest of the
    question is foreign to the knowledge base, so its share shrinks with the coverage and the bot
    hands off. Trained on the labelled questions too, the classifier knows such talk is off-topic."""
    assert engine.classifier is not None
    features = engine.vocab.features("кто выиграл матч")
    phrasings_only = TopicClassifier.fit(engine.phrasing_samples(), LEARNED_C)
    assert phrasings_only is not None
    found = phrasings_only.probabilities(features)
    assert max(found, key=found.__getitem__) == "contact"
    trained = engine.classifier.probabilities(features)
    assert max(trained, key=trained.__getitem__) == ""
    assert engine.ask("кто выиграл матч").kind == "unknown"


def test_weight_zero_turns_the_classifier_off(engine: FaqEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "LEARNED_WEIGHT", 0.0)
    bare = FaqEngine(engine.kb)
    assert bare.classifier is None
    question = "я в этом месяце набрала нужное"
    assert bare.scores(question) == bare.lexical_scores(question)
    assert bare.ask(question).kind == "unknown"


def test_sample_weights_scale_a_samples_share_of_the_loss() -> None:
    """Weights of 1 are the default; a heavier sample pulls its label's probability up."""
    plain = TopicClassifier.fit(SAMPLES, c=10.0)
    ones = TopicClassifier.fit(SAMPLES, c=10.0, weights=[1.0] * len(SAMPLES))
    assert plain is not None and ones is not None
    assert np.array_equal(plain.weights, ones.weights)
    samples = [*SAMPLES, (["код", "звонок"], "calls")]
    light = TopicClassifier.train(samples, c=10.0, weights=[1.0] * len(SAMPLES) + [0.2])
    heavy = TopicClassifier.train(samples, c=10.0, weights=[1.0] * len(SAMPLES) + [5.0])
    assert light is not None and heavy is not None and light is not heavy
    assert heavy.probabilities(["код", "звонок"])["calls"] > light.probabilities(["код", "звонок"])["calls"]


def test_the_shipped_model_is_the_bundled_datas() -> None:
    """bot/faq/classifier.npz was saved for exactly the samples the bundled data gives now; after
    a change to the phrasings, the questions or the synonyms, `python -m bot.faq.build_model`."""
    engine = FaqEngine.load()
    key = samples_key(as_samples(*engine.classifier_samples()), LEARNED_C)
    stale = "bot/faq/classifier.npz устарел: выполните python -m bot.faq.build_model"
    assert TopicClassifier.load(bundled_model_path(), key) is not None, stale
    # The engine finds it by its inputs, without lemmatising the questions: those must agree.
    assert TopicClassifier.load(bundled_model_path(), engine.classifier_inputs(), field="inputs") is not None, stale
    assert engine.classifier is saved_for_inputs(engine.classifier_inputs())


def test_the_inputs_key_follows_the_questions_and_the_vocabulary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another question, or a synonym that lemmatises the questions differently, is another
    input: the shipped model is not used for it."""
    engine = FaqEngine.load()
    inputs = engine.classifier_inputs()
    real = engine_module.bundled_questions
    monkeypatch.setattr(engine_module, "bundled_questions", lambda topics: [*real(topics), ("calls", "новый вопрос")])
    assert engine.classifier_inputs() != inputs
    monkeypatch.setattr(engine_module, "bundled_questions", real)
    engine.vocab._phrases[("новый", "синоним")] = "звонок"
    assert engine.classifier_inputs() != inputs


def _small() -> tuple[list[tuple[list[str], str]], TopicClassifier]:
    samples = [(["смс", "код"], "login_code"), (["чат", "класс"], "class_chats"), (["погода"], "")]
    model = TopicClassifier.fit(samples, 10.0)
    assert model is not None
    return samples, model


def test_a_saved_model_loads_only_under_its_key(tmp_path: Path) -> None:
    """A model read back gives the same probabilities; another key, a broken or missing file
    give None (the engine then trains)."""
    samples, model = _small()
    key = samples_key(as_samples(samples), 10.0)
    path = tmp_path / "model.npz"
    model.save(path, key)
    loaded = TopicClassifier.load(path, key)
    assert loaded is not None
    assert loaded.probabilities(["смс"]) == model.probabilities(["смс"])
    assert loaded.labels == model.labels
    assert TopicClassifier.load(path, samples_key(as_samples(samples), 30.0)) is None
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    assert TopicClassifier.load(broken, key) is None
    assert TopicClassifier.load(tmp_path / "missing.npz", key) is None


def test_the_key_follows_every_sample_and_weight() -> None:
    samples, _ = _small()
    key = samples_key(as_samples(samples), 10.0)
    assert samples_key(as_samples(samples, [1.0, 1.0, 0.5]), 10.0) != key
    assert samples_key(as_samples([*samples[:2], (["погода"], "calls")]), 10.0) != key
    assert samples_key(as_samples(samples), 10.0) == key


def test_without_the_shipped_model_the_engine_trains_the_same_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A missing or stale model file costs a fit at start, not a different model."""
    shipped = FaqEngine.load().classifier
    assert shipped is not None
    monkeypatch.setattr("bot.faq.learned.bundled_model_path", lambda: tmp_path / "missing.npz")
    _trained.cache_clear()
    try:
        fitted = FaqEngine.load().classifier
    finally:
        _trained.cache_clear()
    assert fitted is not None and fitted is not shipped
    assert fitted.labels == shipped.labels and fitted.word_index == shipped.word_index
    question = FaqEngine.load().vocab.features("не приходит смс с кодом на новый номер")
    got, expected = fitted.probabilities(question), shipped.probabilities(question)
    assert all(abs(got[t] - expected[t]) < 1e-6 for t in expected)
