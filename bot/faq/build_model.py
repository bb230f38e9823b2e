"""Rebuild the shipped classifier model after the bundled data changed.

Run ``python -m bot.faq.build_model`` from the repository root: it trains the classifier on the
bundled phrasings and labelled questions, as the engine would at start, and writes it to
bot/faq/classifier.npz. The engine reads that file instead of training (a fit takes seconds)
as long as the data gives the same samples; tests/faq/test_learned.py fails when it does not.
"""

from __future__ import annotations

import sys
import time

from bot.faq.engine import FaqEngine
from bot.faq.learned import TopicClassifier, as_samples, bundled_model_path, samples_key
from bot.faq.tuning import LEARNED_C


def main() -> int:
    """Train on the bundled data and save the model; print what was done."""
    engine = FaqEngine.load()
    samples = as_samples(*engine.classifier_samples())
    key = samples_key(samples, LEARNED_C)
    started = time.perf_counter()
    model = TopicClassifier.fit(
        [(lemmas, label) for lemmas, label, _ in samples], LEARNED_C, [w for *_, w in samples]
    )
    if model is None:
        sys.stderr.write("нечего обучать: меньше двух тем\n")
        return 1
    path = bundled_model_path()
    model.save(path, key, engine.classifier_inputs())
    seconds = time.perf_counter() - started
    sys.stdout.write(f"{path}: {len(samples)} примеров, {len(model.idf)} признаков, {seconds:.1f} с\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
