"""Small talk: a whole message of greetings or thanks gets its reply, a question does not."""

from __future__ import annotations

from bot.faq.knowledge import SmallTalk
from bot.faq.reply import SMALLTALK_FALLBACK
from bot.faq.smalltalk import SmallTalkMatcher
from bot.faq.text import Vocabulary

TALKS = (
    SmallTalk(id="hello", phrases=("привет", "добрый день"), replies=("Здравствуйте!",)),
    SmallTalk(id="thanks", phrases=("спасибо",), replies=()),
)


def matcher() -> SmallTalkMatcher:
    vocab = Vocabulary({})
    vocab.learn([p for talk in TALKS for p in talk.phrases])
    return SmallTalkMatcher(TALKS, vocab)


def test_greeting_alone_gets_its_reply() -> None:
    assert matcher().reply("Добрый день!") == "Здравствуйте!"
    assert matcher().reply("привет у тебя") == "Здравствуйте!"


def test_the_first_phrase_in_the_message_gives_the_reply() -> None:
    assert matcher().reply("спасибо, привет") == SMALLTALK_FALLBACK
    assert matcher().reply("привет и спасибо") == "Здравствуйте!"


def test_a_question_beside_the_greeting_is_not_small_talk() -> None:
    assert matcher().reply("привет, не приходит код") is None
    assert matcher().reply("") is None
