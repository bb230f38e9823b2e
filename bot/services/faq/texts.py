"""The FAQ's limits, its Russian texts and the small helpers that shape them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from bot.domain import answers
from bot.domain.ui import Button

Kind = Literal["answer", "choice", "unknown", "greeting", "my_status", "empty", "handed_off", "follow_up"]

#: Questions the bot answered itself are kept this long (their buttons work meanwhile).
ASKED_KEEP = dt.timedelta(days=7)
#: Topics offered as buttons per page when the deputy files an answer.
TOPICS_PER_PAGE = 6
#: Topics that are commands, not articles: an entry cannot be filed under them.
COMMAND_TOPICS = frozenset({"my_status"})
MAX_QUESTION_CHARS = 1000
MAX_LISTED = 10
#: Other entries of the topic offered under an answer: with «Спасибо, помогло» and the
#: hand-off that makes 6 rows, VK's limit for an inline keyboard.
MAX_RELATED = 4

EMPTY_TEXT = "Напишите вопрос о Сферуме своими словами — например, «не приходит смс с кодом»."
UNKNOWN_TEXT = "Пока не знаю ответа на этот вопрос. Выберите тему в меню внизу или спросите иначе."
HANDOFF_OFFER = "Могу передать вопрос заместителю директора — ответ придёт сюда же. Передать? Ответьте «да» или нажмите кнопку."
HANDED_OFF = "Передал вопрос заместителю директора. Ответ придёт сюда же, в этот чат."
ALREADY_HANDED = "Этот вопрос уже передан заместителю — ответ придёт сюда же."
NO_DEPUTY = ("Передал вопрос, но у школы пока нет заместителя, подключённого к боту. "
             "Спросите, пожалуйста, у администрации школы лично.")
ANSWERED_ALREADY = "На этот вопрос уже ответили."
NOT_YOURS = "Эта кнопка относится к чужому вопросу."
GONE = "Этого вопроса уже нет: напишите его ещё раз, пожалуйста."
HELPED = "Рад, что помогло!"
ONLY_DEPUTY = ("Вы единственный заместитель, подключённый к боту, поэтому передать вопрос некому. "
               "Спросите, пожалуйста, у директора или администратора школы.")
NOT_HANDED = "Хорошо, не передаю. Если появится другой вопрос, просто напишите его."
WHICH_NUMBER = "Напишите номер подходящего варианта (от 1 до {n}) или «передай» — передам вопрос заместителю."
NONE_FITS = "Понял, ни один вариант не подходит. Передать вопрос заместителю директора? Ответьте «да» или «нет»."
#: Typed words that ask to pass the question on («передай», «передайте заместителю»).
HAND_OFF_WORDS = ("передай", "передать", "передайте", "перешли", "отправь", "отправьте", "спроси", "спросите")


def clip(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with «…»."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


#: Words that may come with «да» or «нет» without making the reply a new question.
_COURTESY = frozenset({"да", "нет", "не", "неа", "ага", "давай", "давайте", "пожалуйста", "спасибо", "надо",
                       "нужно", "конечно", "пока", "уже", "ок", "хорошо", "ладно", "можно", "так", "вопрос"})


def short_answer(text: str) -> str | None:
    """«да»/«нет»/«отмена» typed as a reply (alone or with courtesy words: «да, пожалуйста»,
    «нет, не надо»); None for anything else, so «нет кнопки входа» stays a question."""
    exact = answers.intent(text, ("yes", "no", "cancel"), exact=True)
    if exact is not None:
        return exact
    if not set(answers.clean(text).split()) <= _COURTESY:
        return None
    return answers.intent(text, ("yes", "no", "cancel"))


def handoff_button(question_id: int) -> Button:
    """«Передать вопрос заместителю» under the asker's question."""
    return Button(label="Передать вопрос заместителю", payload={"cmd": "faq_handoff", "q": question_id},
                  callback=True)
