"""Top-1 accuracy on the evaluation set, the untouched holdout set and the fresh sets.

faq_dev.tsv was written from the topic spec before tuning and then tuned on; faq_unseen.tsv was
written after tuning and passed on its first measurement: do not tune the knowledge base on it.
faq_unseen2.tsv was written before the knowledge base was read (first measured 164/182; without
the ten questions that turned out to equal examples, 154/172) and then tuned on; faq_unseen3.tsv
was written after that round and passed on its one measurement (118/128, 116/126 without two
such questions): do not tune on it either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands.faq import evaluate, read_eval_file
from bot.faq import FaqEngine

TESTS = Path(__file__).resolve().parent.parent
THRESHOLD = 0.90


@pytest.mark.parametrize(
    "name",
    [
        "faq_eval.tsv",
        "faq_holdout.tsv",
        "faq_dev.tsv",
        "faq_unseen.tsv",
        "faq_unseen2.tsv",
        "faq_unseen3.tsv",
    ],
)
def test_top1_accuracy(engine: FaqEngine, name: str) -> None:
    """At least 90 % of the questions of each set get the expected topic (or none)."""
    rows = read_eval_file(TESTS / name, engine.topics)
    report = evaluate(engine, rows)
    # Misses of the holdout set are not printed: nobody may tune the knowledge base on them.
    shown = report["misses"] if name in ("faq_eval.tsv", "faq_dev.tsv", "faq_unseen2.tsv") else []
    misses = "\n".join(f"{m['expected']} -> {m['got']}: {m['question']}" for m in shown)
    assert report["accuracy"] >= THRESHOLD, f"{name}: {report['accuracy']:.3f}\n{misses}"


def test_eval_sets_are_big_enough(engine: FaqEngine) -> None:
    """The sets are big enough per topic and the knowledge base does not memorise them."""
    eval_rows = read_eval_file(TESTS / "faq_eval.tsv", engine.topics)
    holdout_rows = read_eval_file(TESTS / "faq_holdout.tsv", engine.topics)
    assert len(eval_rows) >= 150 and len(holdout_rows) >= 50
    for topic in engine.topics:
        assert sum(1 for t, _ in eval_rows if t == topic) >= 8, topic
        assert sum(1 for t, _ in holdout_rows if t == topic) >= 2, topic
    assert sum(1 for t, _ in eval_rows if t == "none") >= 15
    # The knowledge base must not memorise the evaluation questions.
    fresh_rows = [
        row
        for name in ("faq_dev.tsv", "faq_unseen.tsv")
        for row in read_eval_file(TESTS / name, engine.topics)
    ]
    assert len(fresh_rows) >= 350
    examples = {e for t in engine.topics.values() for e in t.examples}
    assert not examples & {q for _, q in eval_rows + holdout_rows}
    # faq_dev.tsv shares a few short everyday phrasings («мой статус») with examples that
    # predate it; the unseen set shares none.
    for name in ("faq_unseen.tsv", "faq_unseen2.tsv", "faq_unseen3.tsv"):
        unseen = {q for _, q in read_eval_file(TESTS / name, engine.topics)}
        assert not examples & unseen, name
