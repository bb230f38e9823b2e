"""The FAQ in the chat: answers from the school's knowledge base, hand-off to the deputy,
the deputy's replies, and knowledge-base entries made from those replies.

`service` answers and hands off, `entries` files the deputy's answers, `engines` builds each
school's engine, `texts` and `models` hold what goes out.
"""

from bot.services.faq.engines import check_knowledge_files
from bot.services.faq.models import AnswerResult, FaqRefused, FaqReply, Reply, TopicPage
from bot.services.faq.service import FaqService, StatusRenderer
from bot.services.faq.texts import (
    ALREADY_HANDED,
    ANSWERED_ALREADY,
    GONE,
    HANDED_OFF,
    HELPED,
    NO_DEPUTY,
    NOT_YOURS,
    ONLY_DEPUTY,
)

__all__ = [
    "ALREADY_HANDED", "ANSWERED_ALREADY", "GONE", "HANDED_OFF", "HELPED", "NO_DEPUTY", "NOT_YOURS", "ONLY_DEPUTY",
    "AnswerResult", "FaqRefused", "FaqReply", "FaqService", "Reply", "StatusRenderer", "TopicPage",
    "check_knowledge_files",
]
