"""benchmarks/cv_faq.py: the cross-validation that weighs the learned blend holds out what it says."""

from __future__ import annotations

from collections import Counter

from bot.faq import load_knowledge_base
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
