"""Cross-validation of the FAQ engine over the knowledge base's own phrasings.

Run: ``python benchmarks/cv_faq.py [--folds 5] [--weights 0,0.3,0.7] [--cs 10,30]`` from the
repository root. Every k-th phrasing (topic examples, entry phrasings and off-topic phrasings
of bot/faq/kb.toml and entries.toml) is held out in turn; the engine is built without it and
asked it. For each blend weight (tuning.LEARNED_WEIGHT) and regularisation (tuning.LEARNED_C)
it prints the share of held-out topical phrasings whose topic comes first, the share answered
directly (kind "answer") with the right topic, and how many held-out off-topic phrasings still
get no topic (the hand-off to a person).

This is the measure for choosing the blend that looks at no evaluation set: the phrasings are
the training data, so a held-out one is a wording the engine has not seen, written by the
people who wrote the data. It does not replace the blind sets (long messages and real slang
are rarer among the phrasings); tests/faq/test_accuracy.py keeps the floors on those.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bot.faq.engine as engine_module  # noqa: E402
from bot.faq import FaqEngine, KnowledgeBase, load_knowledge_base  # noqa: E402

#: (kind, owner id, index among the owner's phrasings, text, expected topic or None)
Item = tuple[str, str, int, str, str | None]


def phrasings(kb: KnowledgeBase) -> list[Item]:
    """Every phrasing that trains the engine, with the topic it belongs to."""
    items: list[Item] = []
    for topic in kb.topics.values():
        items += [("topic", topic.id, n, x, topic.id) for n, x in enumerate(topic.examples)]
    for entry in kb.entries.values():
        items += [("entry", entry.id, n, x, entry.topic) for n, x in enumerate(entry.examples)]
    items += [("offtopic", "", n, x, None) for n, x in enumerate(kb.offtopic)]
    return items


def without(kb: KnowledgeBase, held: set[tuple[str, str, int]]) -> KnowledgeBase:
    """The knowledge base less the held-out phrasings."""

    def keep(kind: str, owner: str, texts: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(x for n, x in enumerate(texts) if (kind, owner, n) not in held)

    topics = {k: dataclasses.replace(t, examples=keep("topic", k, t.examples)) for k, t in kb.topics.items()}
    entries = {k: dataclasses.replace(e, examples=keep("entry", k, e.examples)) for k, e in kb.entries.items()}
    return dataclasses.replace(kb, topics=topics, entries=entries, offtopic=keep("offtopic", "", kb.offtopic))


def cross_validate(kb: KnowledgeBase, folds: int) -> dict[str, int]:
    """Counts over all folds with the engine's current tuning constants."""
    items = phrasings(kb)
    counts = {"topical": 0, "top1": 0, "direct": 0, "offtopic": 0, "handed_off": 0}
    for fold in range(folds):
        held = [item for n, item in enumerate(items) if n % folds == fold]
        engine = FaqEngine(without(kb, {(kind, owner, n) for kind, owner, n, _, _ in held}))
        for _, _, _, text, expected in held:
            answer = engine.ask(text)
            if expected is None:
                counts["offtopic"] += 1
                counts["handed_off"] += answer.topic is None
                continue
            counts["topical"] += 1
            counts["top1"] += answer.topic == expected
            counts["direct"] += answer.topic == expected and answer.kind == "answer"
    return counts


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--weights", default="0,0.3,0.5,0.7,1")
    parser.add_argument("--cs", default="10,30")
    args = parser.parse_args(argv)
    kb = load_knowledge_base()
    print(f"{len(phrasings(kb))} phrasings, {args.folds} folds")
    # The engine reads the constants it imported from bot.faq.tuning: set them there.
    saved = {name: getattr(engine_module, name) for name in ("LEARNED_WEIGHT", "LEARNED_C")}
    try:
        for c in _floats(args.cs):
            for weight in _floats(args.weights):
                setattr(engine_module, "LEARNED_WEIGHT", weight)  # noqa: B010
                setattr(engine_module, "LEARNED_C", c)  # noqa: B010
                start = time.perf_counter()
                n = cross_validate(kb, args.folds)
                topical = n["topical"] or 1
                print(
                    f"weight {weight:4.2f}  C {c:5.1f}   top-1 {n['top1'] / topical * 100:5.1f} %"
                    f"   direct right {n['direct'] / topical * 100:5.1f} %"
                    f"   off-topic handed off {n['handed_off']}/{n['offtopic']}"
                    f"   ({time.perf_counter() - start:.0f} s)",
                    flush=True,
                )
    finally:
        for name, value in saved.items():
            setattr(engine_module, name, value)


if __name__ == "__main__":
    main()
