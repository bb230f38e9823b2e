"""Top-1 accuracy on the evaluation set and on the untouched holdout set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands.faq import evaluate, read_eval_file
from bot.faq import FaqEngine

TESTS = Path(__file__).resolve().parent.parent
THRESHOLD = 0.90


@pytest.mark.parametrize("name", ["faq_eval.tsv", "faq_holdout.tsv"])
def test_top1_accuracy(engine: FaqEngine, name: str) -> None:
    rows = read_eval_file(TESTS / name, engine.topics)
    report = evaluate(engine, rows)
    # Misses of the holdout set are not printed: nobody may tune the knowledge base on them.
    shown = report["misses"] if name == "faq_eval.tsv" else []
    misses = "\n".join(f"{m['expected']} -> {m['got']}: {m['question']}" for m in shown)
    assert report["accuracy"] >= THRESHOLD, f"{name}: {report['accuracy']:.3f}\n{misses}"


def test_eval_sets_are_big_enough(engine: FaqEngine) -> None:
    eval_rows = read_eval_file(TESTS / "faq_eval.tsv", engine.topics)
    holdout_rows = read_eval_file(TESTS / "faq_holdout.tsv", engine.topics)
    assert len(eval_rows) >= 150 and len(holdout_rows) >= 50
    for topic in engine.topics:
        assert sum(1 for t, _ in eval_rows if t == topic) >= 8, topic
        assert sum(1 for t, _ in holdout_rows if t == topic) >= 2, topic
    assert sum(1 for t, _ in eval_rows if t == "none") >= 15
    # The knowledge base must not memorise the evaluation questions.
    examples = {e for t in engine.topics.values() for e in t.examples}
    assert not examples & {q for _, q in eval_rows + holdout_rows}
