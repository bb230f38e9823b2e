"""FAQ engine: a Russian knowledge base about Сферум and a matcher that survives real spelling.

Usage::

    from bot.faq import FaqEngine
    engine = FaqEngine.load()
    engine.ask("смс не приходит").topic  # "login_code"
    engine.ask("смс не приходит", messenger="vk").entry  # "login_code.no_sms"
"""

from bot.faq.engine import FaqEngine
from bot.faq.kbfile import AnswerEntry, KnowledgeBaseError, TopicEntry
from bot.faq.knowledge import (
    SPEC_TOPIC_IDS,
    Entry,
    KnowledgeBase,
    SmallTalk,
    Topic,
    load_knowledge_base,
)
from bot.faq.render import render
from bot.faq.reply import FaqAnswer
from bot.faq.text import lemma, normalize

__all__ = [
    "SPEC_TOPIC_IDS",
    "AnswerEntry",
    "Entry",
    "FaqAnswer",
    "FaqEngine",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "SmallTalk",
    "Topic",
    "TopicEntry",
    "lemma",
    "load_knowledge_base",
    "normalize",
    "render",
]
