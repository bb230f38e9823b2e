"""FAQ engine: finds the topic of a staff question and decides how to reply.

Scoring: each topic is a bag of lemmas from its title, keywords and examples, weighted by
how few topics use the lemma (IDF over topics). A question scores against both the whole
topic (cosine with the bag) and its closest single example (cosine with that example);
the mix is the lexical score. A classifier learned from the same phrasings and from labelled
teachers' questions (bot/faq/learned.py, bot/faq/questions.py) adds its probability of the
topic, so that wordings no phrasing has still find their topic; the blend is the confidence
(thresholds and weights: bot/faq/tuning.py). Below `UNKNOWN_BELOW` the bot does not know; when the second topic is close to the first it offers both as buttons.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.faq.clauses import (
    ANAPHORA,
    QUESTION_WORDS,
    WANTS,
    asks,
    hedges,
    marked_clauses,
    question_clause,
    split_clauses,
)
from bot.faq.kbfile import TopicEntry, coerce_entries
from bot.faq.knowledge import Entry, KnowledgeBase, Topic, load_knowledge_base
from bot.faq.learned import TopicClassifier, inputs_key, saved_for_inputs
from bot.faq.questions import QUESTION_WEIGHT, bundled_questions, question_samples
from bot.faq.render import render
from bot.faq.reply import (
    DEFAULT_MESSENGER,
    UNKNOWN_TEXT,
    FaqAnswer,
    Messenger,
    clarifying_question,
)
from bot.faq.smalltalk import SmallTalkMatcher
from bot.faq.text import STOP_WORDS, Vocabulary, is_function_word, lemma_ngrams, unit_vector
from bot.faq.tuning import (
    ALTERNATIVE_RATIO,
    ANAPHORA_WEIGHT,
    ANCHOR_MIN_IDF,
    CHOOSE_RATIO,
    CONTEXT_WEIGHT,
    COVERAGE_POWER,
    ENTRY_EXAMPLE_WEIGHT,
    EXAMPLE_WEIGHT,
    FUZZ_WEIGHT,
    GUESS_WEIGHT,
    INTENT_MIN_IDF,
    KEYWORD_REPEAT,
    LEARNED_C,
    LEARNED_WEIGHT,
    LONG_MESSAGE_WORDS,
    MAIN_ENTRY_BONUS,
    MAX_CHOICES,
    NGRAM_WEIGHT,
    OFFTOPIC_LEARNED_WEIGHT,
    OFFTOPIC_WEIGHT,
    OFFTOPIC_WINS,
    OFFTOPIC_WORD_COST,
    PART_WEIGHT,
    REQUIRES_PENALTY,
    SIDE_INTENT_MIN_IDF,
    SOFT_DF_FLOOR,
    STORY_WEIGHT,
    SUBJECT_SIDE_WEIGHT,
    SURE_ABOVE,
    TIE_RATIO,
    UNKNOWN_BELOW,
    UNSEEN_IDF,
    VAGUE_CHOOSE_RATIO,
    VAGUE_WORD_MIN,
)

#: Question words that tell entries of one topic apart («зачем связывать» from «как
#: связать»): stop words for the topic, but cues when picking the entry.
_ENTRY_CUES = frozenset({"зачем", "почему", "когда", "сколько", "где", "кто", "как"})

@functools.lru_cache(maxsize=1)
def bundled_classifier() -> TopicClassifier | None:
    """The classifier of the bundled data alone, which every school's engine shares: the
    shipped model, or trained once when the bundled data changed since it was saved."""
    return FaqEngine(load_knowledge_base()).classifier


class FaqEngine:
    """Answers questions from one (possibly school-specific) knowledge base."""

    def __init__(self, kb: KnowledgeBase, *, school: bool = False) -> None:
        """An engine over `kb`; `school`: the engine of a school (its file or its entries on
        top of the bundled data), which shares the bundled data's classifier instead of
        training one for its own phrasings (see _train_classifier)."""
        self.kb = kb
        self._school = school
        self.topics: dict[str, Topic] = dict(kb.topics)
        self._ids: list[str] = list(self.topics)
        #: Answer entries per topic, the main one first.
        self.entries: dict[str, list[Entry]] = {t: kb.entries_of(t) for t in self._ids}
        self.entry_by_id: dict[str, Entry] = {
            e.id: e for entries in self.entries.values() for e in entries
        }
        self.vocab = Vocabulary(kb.synonyms)
        texts: list[str] = []
        for topic in self.topics.values():
            texts.extend((topic.title, *topic.examples, *topic.keywords))
            for entry in self.entries[topic.id]:
                texts.extend((entry.title, *entry.examples))
        for talk in kb.smalltalk:
            texts.extend(talk.phrases)
        texts.extend(kb.offtopic)
        self.vocab.learn(texts)
        self._smalltalk = SmallTalkMatcher(kb.smalltalk, self.vocab)
        #: Index of the off-topic class in the score tables (after the topics), if any.
        self._offtopic: int | None = len(self._ids) if kb.offtopic else None
        self._requires: dict[int, frozenset[str]] = {
            index: frozenset(w for phrase in topic.requires for w in self.vocab.lemmas(phrase))
            for index, topic in enumerate(self.topics.values())
            if topic.requires
        }
        self._avoids: dict[int, frozenset[str]] = {
            index: frozenset(w for phrase in topic.avoids for w in self.vocab.lemmas(phrase))
            for index, topic in enumerate(self.topics.values())
            if topic.avoids
        }
        self._outside: dict[str, frozenset[str]] = {
            topic.id: frozenset(w for phrase in topic.outside for w in self.vocab.features(phrase))
            for topic in self.topics.values()
            if topic.outside
        }
        self._build_index()
        self.classifier = self._train_classifier()

    # -- construction -------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        overrides_path: str | Path | None = None,
        extra: Sequence[TopicEntry | Mapping[str, Any]] = (),
    ) -> FaqEngine:
        """Engine over the bundled knowledge base, a school file and database entries."""
        return cls(load_knowledge_base(overrides_path, extra), school=overrides_path is not None or bool(extra))

    @classmethod
    def build(
        cls,
        base: KnowledgeBase,
        overrides: Sequence[TopicEntry | Mapping[str, Any]] = (),
    ) -> FaqEngine:
        """Engine over `base` with `overrides` (e.g. from the database) taking precedence."""
        if overrides:
            base = base.merged(coerce_entries(overrides, "из базы данных"), "из базы данных")
        return cls(base, school=True)

    def _train_classifier(self) -> TopicClassifier | None:
        """The learned classifier over the bundled topics' phrasings (title, examples, keywords
        and its entries') and the bundled labelled questions, with off-topic phrasings and
        questions as a class of their own (label "").

        A school's own topics and phrasings are left to the lexical score (the blend takes the
        better of the two): the schools of a district share the bundled data's model, and a
        deputy's new topic or phrasing does not make the bot retrain, which takes seconds.
        """
        if LEARNED_WEIGHT <= 0:
            return None
        if self._school:
            return bundled_classifier()
        # Lemmatising the thousands of labelled questions takes a third of a second; the saved
        # model is found by what the samples are made of, before any of that.
        saved = saved_for_inputs(self.classifier_inputs())
        if saved is not None:
            return saved
        samples, weights = self.classifier_samples()
        return TopicClassifier.train(samples, LEARNED_C, weights)

    def classifier_inputs(self) -> str:
        """The inputs key (see learned.inputs_key) of the classifier's samples: the phrasing
        samples, the bundled questions as written, the topics learned and the vocabulary that
        turns the questions into lemmas."""
        bundled = sorted(t for t, topic in self.topics.items() if not topic.school_specific)
        texts = [
            QUESTION_WEIGHT, bundled, self.phrasing_samples(), bundled_questions(self.topics),
            self.vocab.signature(),
        ]
        return inputs_key(texts, LEARNED_C)

    def classifier_samples(self) -> tuple[list[tuple[list[str], str]], list[float]]:
        """The classifier's training samples and their weights: the phrasings (weight 1) and
        the bundled labelled questions (bot/faq/questions.py) of the bundled topics."""
        phrasings = self.phrasing_samples()
        bundled = {t for t, topic in self.topics.items() if not topic.school_specific}
        questions, weights = question_samples(bundled_questions(self.topics), self.vocab.features, bundled)
        return [*phrasings, *questions], [1.0] * len(phrasings) + weights

    def phrasing_samples(self) -> list[tuple[list[str], str]]:
        """The classifier's samples from the phrasings: `(content lemmas, topic id)`, with
        off-topic phrasings labelled ""."""
        samples: list[tuple[list[str], str]] = []
        for topic in self.topics.values():
            if topic.school_specific:
                continue
            texts = [topic.title, *topic.examples, *topic.keywords]
            texts += [x for e in self.entries[topic.id] for x in (e.title, *e.examples)]
            samples += [(self.vocab.features(x), topic.id) for x in texts]
        samples += [(self.vocab.features(x), "") for x in self.kb.offtopic]
        return samples

    def _build_index(self) -> None:
        topic_bags: list[dict[str, float]] = []
        gram_bags: list[set[str]] = []
        example_sets: list[tuple[int, set[str]]] = []
        # The off-topic class, when the knowledge base has one, is indexed last, like a topic.
        sources: list[tuple[str, Sequence[str], Sequence[str]]] = [
            (
                t.title,
                (*t.examples, *(x for e in self.entries[t.id] for x in (e.title, *e.examples))),
                t.keywords,
            )
            for t in self.topics.values()
        ]
        if self.kb.offtopic:
            sources.append(("", self.kb.offtopic, ()))
        #: Per source: how many texts (title, examples, keywords) its bag was built from.
        sizes: list[int] = []
        for index, (title, examples, keywords) in enumerate(sources):
            sizes.append(1 + len(examples) + len(keywords))
            bag: dict[str, float] = defaultdict(float)
            for feature in self.vocab.features(title):
                bag[feature] += 1.0
            for keyword in keywords:
                for feature in set(self.vocab.features(keyword)):
                    bag[feature] += KEYWORD_REPEAT
            for example in examples:
                features = set(self.vocab.features(example))
                if features:
                    example_sets.append((index, features))
                for feature in features:
                    bag[feature] += 1.0
            topic_bags.append(bag)
            gram_bags.append(lemma_ngrams(list(bag)))
        self._bags: list[frozenset[str]] = [frozenset(bag) for bag in topic_bags]
        self._topic_words: frozenset[str] = frozenset().union(*self._bags[: len(self._ids)])
        self._offtopic_words: frozenset[str] = (
            self._bags[-1] if self._offtopic is not None else frozenset()
        )
        count = len(sources)
        # A topic that uses a word in passing counts as less than one use: «регистрация»
        # defines `register` even though invite and rules mention it now and then. By the share
        # of the topic's texts, not their count: a topic that gains phrasings moved the peak
        # of its words, and so every other topic's weights (IDF), with counts.
        shares = [{f: tf / size for f, tf in bag.items()} for bag, size in zip(topic_bags, sizes, strict=True)]
        peak: dict[str, float] = defaultdict(float)
        for share in shares:
            for feature, part in share.items():
                peak[feature] = max(peak[feature], part)
        doc_freq: dict[str, float] = defaultdict(float)
        spread: dict[str, int] = defaultdict(int)
        for share in shares:
            for feature, part in share.items():
                doc_freq[feature] += min(1.0, SOFT_DF_FLOOR + part / peak[feature])
                spread[feature] += 1
        #: IDF over plain topic counts: how generic a word is, for anchoring.
        self._spread_idf: dict[str, float] = {
            f: math.log((count + 1) / (df + 0.5)) for f, df in spread.items()
        }
        self._idf: dict[str, float] = {
            f: math.log((count + 1) / (df + 0.5)) for f, df in doc_freq.items()
        }
        gram_freq: dict[str, int] = defaultdict(int)
        for grams in gram_bags:
            for gram in grams:
                gram_freq[gram] += 1
        self._gram_idf = {g: math.log((count + 1) / (df + 0.5)) for g, df in gram_freq.items()}
        self._gram_index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, grams in enumerate(gram_bags):
            weighted = unit_vector({g: self._gram_idf[g] for g in grams})
            for gram, weight in weighted.items():
                self._gram_index[gram].append((index, weight))
        self._topic_index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, bag in enumerate(topic_bags):
            weighted = unit_vector(
                {f: (1.0 + math.log(tf)) * self._idf[f] for f, tf in bag.items()}
            )
            for feature, weight in weighted.items():
                self._topic_index[feature].append((index, weight))
        self._example_texts: list[str] = [" ".join(sorted(f)) for _, f in example_sets]
        self._example_topic: list[int] = []
        self._example_index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for number, (topic_index, features) in enumerate(example_sets):
            self._example_topic.append(topic_index)
            weighted = unit_vector({f: self._idf[f] for f in features})
            for feature, weight in weighted.items():
                self._example_index[feature].append((number, weight))
        #: Per entry: its phrasings (title included) as feature sets, for picking the entry.
        self._entry_examples: dict[str, list[frozenset[str]]] = {}
        for entry in self.entry_by_id.values():
            sets = (self._entry_features(x) for x in (entry.title, *entry.examples))
            self._entry_examples[entry.id] = [x for x in sets if x]
        self._entry_bags: dict[str, frozenset[str]] = {
            k: frozenset().union(*v) if v else frozenset() for k, v in self._entry_examples.items()
        }

    # -- scoring ------------------------------------------------------------------------

    def scores(self, question: str) -> list[tuple[str, float]]:
        """Every topic with a positive score, best first: the lexical score, lifted toward the
        classifier's probability of the topic where that is higher (see LEARNED_WEIGHT)."""
        ranked = self.lexical_scores(question)
        features = self.vocab.features(question)
        if self.classifier is None:
            return self._inside(features, ranked)
        lexical = dict(ranked)
        if self._vague(features):
            # One word that several topics use («профиль») is all the classifier would see: its
            # probabilities are then how often the word came in each topic's questions, which
            # tells nothing of this asker's; the lexical score keeps the topics close (a choice).
            return self._inside(features, ranked)
        # The classifier knows nothing of the intent words the data marks as heavy (kb
        # `weights` above 1): one more occurrence tells it, as the weight tells the lexical
        # score («web.max.ru просит qr код» is about the web version, not an invitation QR).
        heavy = [f for f in features if self.kb.weights.get(f, 1.0) > 1.0]
        learned = self.classifier.probabilities(features + heavy)
        # The classifier is sure of a topic even when it knows one word of the question
        # («кто выиграл матч» is `contact` by «кто»): like the lexical score, its share
        # shrinks with the part of the question the knowledge base does not speak about.
        factor = self.coverage(set(features)) ** COVERAGE_POWER
        # The classifier only lifts: a topic it finds likelier than the lexical score says
        # gains a share of the difference; the others keep their lexical score, so an unsure
        # classifier leaves the thresholds (tuned on that scale) as they were.
        blended = {
            topic_id: lexical.get(topic_id, 0.0)
            + LEARNED_WEIGHT
            * max(0.0, learned.get(topic_id, 0.0) * factor - lexical.get(topic_id, 0.0))
            for topic_id in self._ids
        }
        # The classifier's off-topic class (label "") lowers the bundled topics by a share: «где
        # взять справку с места работы» matches one school word of a topic lexically, but the
        # classifier knows it for the school-life talk the off-topic phrasings are. A share keeps
        # the ratios between topics (and so the choices). A school's own topics, which the
        # classifier never learned (a canteen menu reads as school life to it), and topics the
        # school answered itself (a deputy's «кто чинит проектор» under `contact`) keep their score.
        damping = 1.0 - OFFTOPIC_LEARNED_WEIGHT * learned.get("", 0.0)
        for topic_id in blended:
            topic = self.topics[topic_id]
            if not (topic.school_specific or topic.school_answer):
                blended[topic_id] *= damping
        return self._inside(features, sorted(
            ((t, s) for t, s in blended.items() if s > 0), key=lambda item: (-item[1], item[0])
        ))

    def _vague(self, features: Sequence[str]) -> bool:
        """The question is one content word that carries no intent and names no subject."""
        words = set(features)
        return len(words) == 1 and not self._names_subject(next(iter(words)))

    def _inside(self, features: Sequence[str], ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """`ranked` without the topics the question (its content lemmas `features`) is outside of: it names a service outside
        the platform that the topic's things resemble (Topic.outside: «как создать конференцию в
        Zoom» is about Zoom, not about calls in Сферум) and does not name the platform itself
        («чем звонки в сферуме удобнее зума» compares the two and stays a calls question).
        The platform's names are the side words lighter than the vague ones (kb `weights`:
        «сферум», «max», «вконтакте»). The other topics then match the question only through
        words around that service («создать» a conference in Zoom is not a class chat): they
        weigh as a topic without its required words does (REQUIRES_PENALTY), and a question that
        still names one of them strongly («скайп для уроков тоже нельзя?», rules) keeps it."""
        if not self._outside:
            return ranked
        words = set(features)
        if any(self.kb.weights.get(f, 1.0) < VAGUE_WORD_MIN for f in words):
            return ranked
        if not any(outside & words for outside in self._outside.values()):
            return ranked
        return [
            (t, s * REQUIRES_PENALTY) for t, s in ranked if not self._outside.get(t, frozenset()) & words
        ]

    def lexical_scores(self, question: str) -> list[tuple[str, float]]:
        """Every topic with a positive lexical score, best first.

        A long message is also scored part by part (each clause, and each pair of adjacent
        clauses): the question inside a story scores higher alone than diluted by the
        story's words, and a topic keeps the best of its scores.
        """
        words = self.vocab.lemmas(question)
        features = [w for w in words if w not in STOP_WORDS]
        whole = self._score_features(features, set(words), self._context_words(question))
        clauses = split_clauses(question)
        if len(features) < LONG_MESSAGE_WORDS or len(clauses) < 2:
            return whole
        best = dict(whole)
        last = question_clause(question)
        # When the message marks its questions with «?», a question word elsewhere is a
        # relative one («таблицу, где я в красной зоне»): that clause tells the story.
        marked = marked_clauses(question)
        # After a clause that ends with «?», the rest of a message without one is the story's
        # tail («…? как это сделать, там вроде роль сотрудник»): it does not ask by itself.
        # A last clause without a content word («что не так и как быть?») asks about the whole
        # story, not about the clause just before it.
        vague = not self.vocab.features(clauses[last])
        # «…хочу, чтобы писала только я… как это настроить?»: the clause that states the want
        # is what the pointing question asks about.
        pointing = vague or bool(ANAPHORA & set(self.vocab.lemmas(clauses[last])))
        # «…статус не меняется. Может, нужно создать классы?» guesses at a cause: the guess
        # weighs less, and the problem told just before the hedge asks too.
        guess = last > 1 and hedges(clauses[last - 1])
        parts = [(c, n == last, True, n > last, n in marked) for n, c in enumerate(clauses)] + [
            (f"{a}, {b}", n + 1 == last and not vague, False, n > last,
             n in marked or (n + 1 in marked and not (vague and n + 1 == last)))
            for n, (a, b) in enumerate(zip(clauses, clauses[1:], strict=False))
        ]
        for part, is_last, single, tail, is_marked in parts:
            part_words = self.vocab.lemmas(part)
            part_features = [w for w in part_words if w not in STOP_WORDS]
            # One word alone is a clause's question only when it says what is asked
            # («…, не понимаю как зарегаться»).
            if not part_features or (len(part_features) < 2 and not self._names_subject(part_features[0])):
                continue
            # A clause that points back («как дать им ссылку на звонок») asks about the story's
            # people or place: it still asks, but weighs less than a clause that says it all.
            anaphoric = single and bool(ANAPHORA & set(part_words))
            # The clause that asks (a question word, or the message's end) is the question;
            # the others tell the story around it: they weigh less, or not at all when
            # STORY_WEIGHT is 0 (then they are not even scored, which saves time).
            # Before the end of a message without «?», a part whose only question word is «когда»
            # says when something happened («ситуация: когда регистрировалась, нажала не то»).
            when = not is_last and not marked and {w for w in part_words if w in QUESTION_WORDS} == {"когда"}
            asking = is_last or (
                not tail and (is_marked or not marked or "ли" in part_words) and asks(part_words) and not when
            ) or (single and pointing and not tail and bool(WANTS & set(part_words))) or (
                guess and single and part == clauses[last - 2]
            )
            if not asking and STORY_WEIGHT <= 0:
                continue
            # «как это сделать в максе» refers back to the story: a vague word with nothing
            # but side words says nothing («что за мессенджер макс» asks about MAX itself, and
            # «что за макс и что будет со сферумом» about MAX too: the platform's names are not
            # vague words).
            if not any(self._plain_topic_word(f) for f in part_features) and any(
                VAGUE_WORD_MIN <= self.kb.weights.get(f, 1.0) < 1.0 for f in part_features
            ):
                continue
            factor = PART_WEIGHT if asking else PART_WEIGHT * STORY_WEIGHT
            if guess and is_last:
                factor *= GUESS_WEIGHT
            if anaphoric:
                factor *= ANAPHORA_WEIGHT
            for topic_id, score in self._score_features(part_features, set(part_words)):
                score *= factor
                if score > best.get(topic_id, 0.0):
                    best[topic_id] = score
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))

    def _context_words(self, question: str) -> frozenset[str]:
        """Words only a rambling opening uses, when the message ends with its question:
        «у нас сказали всем быть в сферуме до пятницы, а я не разбираюсь, как туда
        зарегистрироваться» — the last clause says what is asked."""
        clauses = split_clauses(question)
        if len(clauses) < 2:
            return frozenset()
        for index in dict.fromkeys((question_clause(question), len(clauses) - 1)):
            last = self.vocab.lemmas(clauses[index])
            if not asks(last):
                continue
            asked = {w for w in last if w not in STOP_WORDS}
            guess = index > 0 and hedges(clauses[index - 1])
            if guess or ANAPHORA & set(last) or not any(self._carries_intent(w) for w in asked):
                # «…, как это сделать?», «…, может, нужно …?»: the question is in the story,
                # which keeps its weight.
                continue
            before = {w for n, c in enumerate(clauses) if n != index for w in self.vocab.features(c)}
            return frozenset(before - asked)
        return frozenset()

    def _score_features(
        self, features: Sequence[str], words: set[str], context: frozenset[str] = frozenset()
    ) -> list[tuple[str, float]]:
        if not features:
            return []
        # A side word («макс») is light only beside words that say what is asked: alone
        # with fillers («сферум теперь только в максе?») it is the subject itself.
        side = not any(self._carries_intent(f, SIDE_INTENT_MIN_IDF, spread=True) for f in features)
        weights = {f: self._weight(f, context, side_words=not side) for f in features}
        query = unit_vector(weights)
        gram_query = unit_vector({g: self._gram_idf.get(g, UNSEEN_IDF) for g in lemma_ngrams(features)})
        gram_scores: dict[int, float] = defaultdict(float)
        for gram, q_weight in gram_query.items():
            for index, weight in self._gram_index.get(gram, ()):
                gram_scores[index] += q_weight * weight
        topic_scores: dict[int, float] = defaultdict(float)
        example_scores: dict[int, float] = defaultdict(float)
        for feature, q_weight in query.items():
            for index, weight in self._topic_index.get(feature, ()):
                topic_scores[index] += q_weight * weight
            for number, weight in self._example_index.get(feature, ()):
                example_scores[number] += q_weight * weight
        best_example: dict[int, float] = defaultdict(float)
        for number, score in example_scores.items():
            index = self._example_topic[number]
            if score > best_example[index]:
                best_example[index] = score
        fuzz_best: dict[int, float] = defaultdict(float)
        if FUZZ_WEIGHT > 0:
            text = " ".join(sorted(set(features)))
            for _, score, number in process.extract(
                text, self._example_texts, scorer=fuzz.token_sort_ratio, limit=20, score_cutoff=50
            ):
                index = self._example_topic[number]
                fuzz_best[index] = max(fuzz_best[index], score / 100.0)
        combined = {
            index: (1 - NGRAM_WEIGHT)
            * (
                (1 - EXAMPLE_WEIGHT) * topic_scores.get(index, 0.0)
                + EXAMPLE_WEIGHT * best_example.get(index, 0.0)
            )
            + NGRAM_WEIGHT * gram_scores.get(index, 0.0)
            + FUZZ_WEIGHT * fuzz_best.get(index, 0.0)
            for index in set(topic_scores) | set(best_example) | set(gram_scores)
        }
        for index, required in self._requires.items():
            if index in combined and not required & words:
                combined[index] *= REQUIRES_PENALTY
        for index, avoided in self._avoids.items():
            if index in combined and avoided & words:
                combined[index] *= REQUIRES_PENALTY
        distinct = set(features)
        coverage = self.coverage(distinct)
        factor = coverage**COVERAGE_POWER
        offtopic = combined.pop(self._offtopic, 0.0) if self._offtopic is not None else 0.0
        if offtopic > 0:
            for index, score in list(combined.items()):
                if self._anchored(index, distinct):
                    continue
                # Only generic school words tie the question to this topic.
                if score <= offtopic * OFFTOPIC_WINS:
                    del combined[index]
                else:
                    combined[index] = score - OFFTOPIC_WEIGHT * offtopic
        ranked = sorted(combined.items(), key=lambda item: (-item[1], item[0]))
        return [
            (self._ids[index], min(1.0, score * factor)) for index, score in ranked if score > 0
        ]

    def coverage(self, features: set[str]) -> float:
        """Share of the question's content lemmas the knowledge base speaks about.

        Words no topic uses lower it; words that only off-topic phrasings use («зарплата»,
        «отпуск») are evidence against every topic and count more; a pronoun or particle no
        topic uses («никто») is no evidence either way.
        """
        covered = sum(1 for f in features if f in self._topic_words)
        against = sum(
            OFFTOPIC_WORD_COST if f in self._offtopic_words else 1.0
            for f in features
            if f not in self._topic_words and not is_function_word(f)
        )
        return covered / (covered + against) if covered else 0.0

    def _weight(self, feature: str, context: frozenset[str], *, side_words: bool = True) -> float:
        """A question word's weight: rarer across topics is heavier; words of a rambling
        opening and side words (kb `weights`, e.g. «макс») are lighter; with `side_words`
        False a side word that names a topic («макс») weighs fully."""
        factor = self.kb.weights.get(feature, 1.0)
        if not side_words and factor <= SUBJECT_SIDE_WEIGHT:
            factor = 1.0
        return self._idf.get(feature, UNSEEN_IDF) * (CONTEXT_WEIGHT if feature in context else 1.0) * factor

    def _names_subject(self, feature: str) -> bool:
        """A word that alone says what is asked: an intent word, or a side word that names a
        topic of its own («что за мессенджер макс»)."""
        return self._carries_intent(feature) or (
            feature in self._topic_words and self.kb.weights.get(feature, 1.0) <= SUBJECT_SIDE_WEIGHT
        )

    def _plain_topic_word(self, feature: str) -> bool:
        """A word some topic uses that is neither a side word nor a vague one."""
        return feature in self._topic_words and self.kb.weights.get(feature, 1.0) >= 1.0

    def _carries_intent(self, feature: str, min_idf: float = INTENT_MIN_IDF, *, spread: bool = False) -> bool:
        """A word some topic uses that is neither a side or vague word (kb `weights` below 1)
        nor common to many topics (IDF, or with `spread` the plain IDF, at least `min_idf`)."""
        idf = (self._spread_idf if spread else self._idf).get(feature, 0.0)
        return (
            feature in self._topic_words
            and self.kb.weights.get(feature, 1.0) >= 1.0
            and idf >= min_idf
            and not is_function_word(feature)
        )

    def _anchored(self, index: int, features: set[str]) -> bool:
        """Whether the question shares with the topic a word that off-topic talk never uses."""
        bag = self._bags[index]
        return any(
            f in bag and f not in self._offtopic_words and self._spread_idf[f] >= ANCHOR_MIN_IDF
            for f in features
        )

    # -- the decision -------------------------------------------------------------------

    def pick_entry(self, topic_id: str, question: str) -> Entry | None:
        """The entry of `topic_id` that answers `question` best (the main one when none fits)."""
        entries = self.entries.get(topic_id, [])
        if not entries:
            return None
        features = set(self._entry_features(question))
        context = self._context_words(question)
        best: tuple[float, int] = (0.0, 0)
        for number, entry in enumerate(entries):
            score = self._entry_score(entry.id, features, context)
            score += MAIN_ENTRY_BONUS if number == 0 else 0.0
            if score > best[0] + 1e-9:
                best = (score, number)
        return entries[best[1]]

    def _entry_features(self, text: str) -> frozenset[str]:
        """Content lemmas of `text` plus the question words that tell entries apart."""
        return frozenset(
            w for w in self.vocab.lemmas(text) if w not in STOP_WORDS or w in _ENTRY_CUES
        )

    def _entry_score(self, entry_id: str, features: set[str], context: frozenset[str]) -> float:
        """Cosine of the question with the entry's closest phrasing, mixed with its whole bag."""
        if not features:
            return 0.0
        query = {f: self._weight(f, context) for f in features}
        q_norm = math.sqrt(sum(v * v for v in query.values())) or 1.0

        def cosine(other: frozenset[str]) -> float:
            if not other:
                return 0.0
            shared = sum(query[f] * self._idf.get(f, UNSEEN_IDF) for f in features & other)
            o_norm = math.sqrt(sum(self._idf.get(f, UNSEEN_IDF) ** 2 for f in other)) or 1.0
            return shared / (q_norm * o_norm)

        closest = max((cosine(x) for x in self._entry_examples.get(entry_id, ())), default=0.0)
        return ENTRY_EXAMPLE_WEIGHT * closest + (1 - ENTRY_EXAMPLE_WEIGHT) * cosine(
            self._entry_bags.get(entry_id, frozenset())
        )

    def ask(
        self,
        question: str,
        context: Mapping[str, str | None] | None = None,
        messenger: Messenger = DEFAULT_MESSENGER,
    ) -> FaqAnswer:
        """Decide how to reply to `question` for an asker in `messenger`; `context` fills
        placeholders like {responsible}."""
        reply = self._smalltalk.reply(question)
        if reply is not None:
            return FaqAnswer(question, None, 1.0, "greeting", render(reply, context))
        ranked = self.scores(question)
        if not ranked or ranked[0][1] < UNKNOWN_BELOW:
            confidence = ranked[0][1] if ranked else 0.0
            return FaqAnswer(question, None, confidence, "unknown", render(UNKNOWN_TEXT, context))
        best_id, best = ranked[0]
        others = [
            topic_id
            for topic_id, score in ranked[1:MAX_CHOICES]
            if score >= max(UNKNOWN_BELOW, best * ALTERNATIVE_RATIO)
        ]
        # One word that many topics share («профиль») names no question: offer the topics.
        vague = self._vague(self.vocab.features(question))
        close = [
            topic_id
            for topic_id, score in ranked[1:MAX_CHOICES]
            if score >= best * (VAGUE_CHOOSE_RATIO if vague else CHOOSE_RATIO)
            and (best < SURE_ABOVE or score >= best * TIE_RATIO)
        ]
        entry = self.pick_entry(best_id, question)
        if close:
            options = [
                e.id for e in (self.pick_entry(t, question) for t in [best_id, *close]) if e
            ]
            text = clarifying_question([self.entry_by_id[e].title for e in options])
            return FaqAnswer(question, best_id, best, "choice", text, others, options=options)
        if entry is None:
            return FaqAnswer(question, None, best, "unknown", render(UNKNOWN_TEXT, context))
        related = [e.id for e in self.entries[best_id] if e.id != entry.id]
        answer = render(entry.text(messenger), context)
        return FaqAnswer(
            question, best_id, best, "answer", answer, others, entry=entry.id, related=related
        )
