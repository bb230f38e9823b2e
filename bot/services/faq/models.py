"""What the FAQ service returns to handlers (render models: the handler only sends them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.domain.ui import Keyboard
from bot.services.faq.texts import Kind
from bot.stores.faq import FaqQuestion


class FaqRefused(Exception):  # noqa: N818 - reads naturally: `except FaqRefused`
    """A request that changes nothing; `text` says why, in Russian."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Reply(BaseModel):
    """One message of the bot's answer: text, inline buttons, or the person's main menu."""

    model_config = ConfigDict(frozen=True)

    text: str
    keyboard: Keyboard | None = None
    menu: bool = False


class FaqReply(BaseModel):
    """What to send for one question (a render model: the handler only sends it)."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    topic: str | None = None
    entry: str | None = None
    question_id: int | None = None
    confidence: float = 0.0
    messages: list[Reply] = []
    #: When not None, the bot waits for a typed answer to its offer about `question_id`:
    #: «да»/«передай», «нет», or the number of one of these candidate entries.
    offer: list[str] | None = None


class AnswerResult(BaseModel):
    """The outcome of the deputy's reply to a handed-off question."""

    model_config = ConfigDict(frozen=True)

    question: FaqQuestion
    delivered: bool
    text: str
    keyboard: Keyboard | None = None


class TopicPage(BaseModel):
    """A page of topic buttons to file an answer under."""

    model_config = ConfigDict(frozen=True)

    text: str
    keyboard: Keyboard
