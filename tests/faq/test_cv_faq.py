"""benchmarks/cv_faq.py: the cross-validation that weighs the learned blend holds out what it says."""

from __future__ import annotations

from collections import Counter

from bot.faq import FaqEngine, load_knowledge_base
from tests.benchmark_scripts import load


def test_a_fold_lacks_exactly_its_held_out_phrasings() -> None:
    """Every phrasing (topic example, entry phrasing, off-topic) is an item with its topic, and
    the knowledge base of a fold keeps all the others."""
    cv = load("cv_faq")
    kb = load_knowledge_base()
    items = cv.phrasings(kb)
    examples = sum(len(t.examples) for t in kb.topics.values())
    phrasings = sum(len(e.examples) for e in kb.entries.values())
    assert len(items) == examples + phrasings + len(kb.offtopic)
    assert {expected for *_, expected in items} == {*kb.topics, None}
    held = items[::3]
    rest = cv.without(kb, {(kind, owner, index) for kind, owner, index, _, _ in held})
    left = Counter(text for *_, text, _ in cv.phrasings(rest))
    assert left == Counter(text for *_, text, _ in items) - Counter(text for *_, text, _ in held)
    assert rest.topics.keys() == kb.topics.keys() and rest.entries.keys() == kb.entries.keys()


def test_questions_cv_trains_on_no_question_of_the_set_it_scores() -> None:
    """benchmarks/cv_faq_questions.py: a held-out set, and questions equal to its own, stay out of
    training; faq_eval.tsv and faq_holdout.tsv are never training candidates, nor is a blind set."""
    cv = load("cv_faq_questions")
    assert not set(cv.PUBLIC) & set(cv.CANDIDATES)
    assert all(name.startswith("faq_") for name in cv.CANDIDATES)
    for blind in ("faq_heldout17b.tsv", "faq_heldout17m.tsv", "faq_heldout17n.tsv"):
        assert blind not in cv.CANDIDATES
    sets = {name: [("calls", f"вопрос {name}")] for name in (*cv.CANDIDATES, *cv.PUBLIC)}
    sets["faq_dev.tsv"].append(("calls", "Общий  вопрос"))
    sets["faq_max.tsv"].append(("max|calls", "общий вопрос"))
    rows = cv.training_rows(sets, ["faq_dev.tsv"])
    assert {q for _, q in rows} == {f"вопрос {name}" for name in cv.CANDIDATES if name != "faq_dev.tsv"}
    assert len(cv.training_rows(sets, cv.PUBLIC)) == len(cv.CANDIDATES) + 2


def test_questions_cv_splits_alternatives_and_maps_none_to_the_offtopic_class(engine: FaqEngine) -> None:
    cv = load("cv_faq_questions")
    bundled = set(engine.topics)
    samples, weights = cv.question_samples(
        [("max|calls", "как позвонить в максе"), ("none", "когда педсовет"), ("none", "привет")],
        engine.vocab.features, bundled, 2.0,
    )
    assert [label for _, label in samples] == ["calls", "max", ""]
    assert weights == [1.0, 1.0, 2.0]
