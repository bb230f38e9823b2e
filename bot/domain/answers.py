"""Typed answers to a dialog's question: yes/no/cancel/back, a messenger's name, a number.

A button is never the only way forward: every step also reads what people type — «да»,
«нет», «отмена», «назад», «в телеге был», «вотсап», «25». Matching is tolerant of typos
(rapidfuzz) but only on words long enough to tell apart, so «да» never reads as «два».
"""

from __future__ import annotations

import re
from typing import Literal

from rapidfuzz import fuzz, process

Intent = Literal["yes", "no", "cancel", "back", "keep", "more", "other", "none", "not_yet", "announced"]

_WORD = re.compile(r"[a-zа-яё0-9]+", re.IGNORECASE)

# Whole typed answers (after cleaning) that mean one thing.
_PHRASES: dict[str, Intent] = {
    # cancel
    "отмена": "cancel", "отменить": "cancel", "отмени": "cancel", "стоп": "cancel", "выход": "cancel",
    "выйти": "cancel", "хватит": "cancel", "не надо": "cancel", "передумал": "cancel", "передумала": "cancel",
    "cancel": "cancel", "stop": "cancel",
    # back
    "назад": "back", "вернуться": "back", "вернись": "back", "back": "back", "шаг назад": "back",
    # keep
    "оставить": "keep", "оставить как было": "keep", "как было": "keep", "без изменений": "keep",
    "не менять": "keep", "оставь": "keep", "то же": "keep", "так же": "keep",
    # more
    "другой мессенджер": "more", "ещё": "more", "еще": "more", "другие": "more", "показать ещё": "more",
    # yes
    "да": "yes", "ага": "yes", "угу": "yes", "конечно": "yes", "верно": "yes", "всё верно": "yes",
    "все верно": "yes", "правильно": "yes", "подтверждаю": "yes", "подтвердить": "yes", "ок": "yes",
    "ok": "yes", "окей": "yes", "хорошо": "yes", "yes": "yes", "да верно": "yes", "да всё верно": "yes",
    "отправить": "yes", "отправляй": "yes", "готово": "yes", "это я": "yes", "да это я": "yes", "я": "yes",
    "закрыт": "yes", "закрыла": "yes", "закрыл": "yes", "да закрыт": "yes", "закрыли": "yes", "удалил": "yes",
    "удалила": "yes", "удалён": "yes", "удален": "yes",
    # no
    "нет": "no", "неа": "no", "не": "no", "no": "no", "не верно": "no", "неверно": "no", "исправить": "no",
    "не так": "no", "это не я": "no", "не я": "no", "нет не я": "no", "ошибка": "no",
    # not yet
    "пока нет": "not_yet", "ещё нет": "not_yet", "еще нет": "not_yet", "не закрыт": "not_yet",
    "не закрыла": "not_yet", "не закрыл": "not_yet", "позже": "not_yet", "потом": "not_yet",
    # announced
    "объявил": "announced", "объявила": "announced", "объявили": "announced", "предупредил": "announced",
    "предупредила": "announced", "написал что закрыт": "announced", "написала что закрыт": "announced",
    # none / other messenger
    "не было": "none", "старого не было": "none", "старого чата не было": "none", "нигде": "none",
    "сразу создан": "none", "сразу в максе": "none", "сразу в сферуме": "none", "другой": "other",
}
#: Openings that carry nothing: «ну да», «ой, нет», «так, отмена».
_FILLERS = frozenset({"ну", "ой", "так", "вот", "ээ", "эээ", "хм", "мм", "ааа", "а"})
_FUZZY_MIN = 86  # WRatio for a phrase of ≥ 5 letters: «подтверждаю» ~ «подтвеждаю»


def clean(text: str) -> str:
    """Lowercase words only («Да, всё верно!» → «да всё верно»)."""
    return " ".join(_WORD.findall(text.lower()))


def intent(text: str, allowed: tuple[Intent, ...] | None = None, *, exact: bool = False) -> Intent | None:
    """What a short typed answer means, among `allowed` (all when None); None when unsure.

    `exact` takes only whole known answers (no typos, no «да, …»): for steps where any text
    may be a title or a reason, so «Стоп-кадр» stays a title.
    """
    words = clean(text)
    while not exact and " " in words and words.split(maxsplit=1)[0] in _FILLERS:
        words = words.split(maxsplit=1)[1]
    if not words:
        return None
    choices = {p: i for p, i in _PHRASES.items() if allowed is None or i in allowed}
    found = choices.get(words) or choices.get(words.replace("ё", "е"))
    if found or exact:
        return found
    if len(words) >= 5:
        best = process.extractOne(words, [p for p in choices if len(p) >= 5], scorer=fuzz.ratio)
        if best is not None and best[1] >= _FUZZY_MIN:
            return choices[best[0]]
    # «да, закрыла», «нет, пока не закрыт», «отмена пожалуйста»: the first word decides.
    first = words.split()[0]
    if first in ("да", "ага", "конечно") and (allowed is None or "yes" in allowed):
        return "yes"
    if first in ("нет", "неа") and len(words.split()) <= 4:
        rest = words.split(maxsplit=1)[1] if " " in words else ""
        if "пока" in rest or "ещё" in rest or "еще" in rest:
            return "not_yet" if allowed is None or "not_yet" in allowed else "no"
        return "no" if allowed is None or "no" in allowed else None
    if first in ("отмена", "отменить", "стоп") and (allowed is None or "cancel" in allowed):
        return "cancel"
    return None


# --- messengers -----------------------------------------------------------------------------

# Every common spelling, Russian and Latin, with the slang people write.
MESSENGER_ALIASES: dict[str, tuple[str, ...]] = {
    "telegram": ("telegram", "телеграм", "телеграмм", "телега", "телеге", "телегу", "телеграме", "телеграмме",
                 "телеграмчик", "тг", "tg", "тгшка", "тележка", "телеге был", "телеграмм чат"),
    "whatsapp": ("whatsapp", "whats app", "вотсап", "ватсап", "вацап", "воцап", "вотсапп", "ватсапп", "вотсапе",
                 "ватсапе", "вацапе", "воцапе", "вотс ап", "wa", "вотсаппе", "ватсаппе", "вотсаппа", "ватсапа"),
    "viber": ("viber", "вайбер", "вайбере", "вибер", "вибере", "вайбер был", "вайбера"),
    "discord": ("discord", "дискорд", "дискорде", "дс", "дискорда"),
    "skype": ("skype", "скайп", "скайпе", "скайпа"),
    "snapchat": ("snapchat", "снапчат", "снэпчат", "снапчате"),
    "teams": ("teams", "microsoft teams", "тимс", "майкрософт тимс", "тимсе", "ms teams"),
    "threema": ("threema", "трима", "тхреема"),
    "wechat": ("wechat", "вичат", "вичате", "вечат"),
}
_ALIAS_TO_ID = {alias: mid for mid, aliases in MESSENGER_ALIASES.items() for alias in aliases}
_FUZZY_ALIASES = [a for a in _ALIAS_TO_ID if len(a) >= 5 and " " not in a]
_NONE_WORDS = ("не было", "не был", "сразу", "нигде", "новый", "с нуля")


def messenger_of(text: str) -> str | None:
    """A messenger id from «в телеге был», «тг», «Вотсап», «вайбер» (None when none is named)."""
    words = clean(text)
    if not words:
        return None
    if words in _ALIAS_TO_ID:
        return _ALIAS_TO_ID[words]
    tokens = words.split()
    for token in tokens:
        if token in _ALIAS_TO_ID:
            return _ALIAS_TO_ID[token]
    for token in tokens:
        if len(token) >= 5:
            best = process.extractOne(token, _FUZZY_ALIASES, scorer=fuzz.ratio)
            if best is not None and best[1] >= 80:
                return _ALIAS_TO_ID[best[0]]
    return None


def says_no_old_chat(text: str) -> bool:
    """«Не было», «сразу создали в МАКСе»: the chat had no old one."""
    words = clean(text)
    return any(w in words for w in _NONE_WORDS)


# --- numbers --------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "один": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7,
    "восемь": 8, "девять": 9, "десять": 10, "первый": 1, "первая": 1, "второй": 2, "вторая": 2,
    "третий": 3, "третья": 3, "четвёртый": 4, "четвертый": 4, "пятый": 5,
}


def number_in(text: str) -> int | None:
    """The first number typed as digits or a small word («2», «вторая», «три»), else None."""
    digits = re.search(r"\d+", text)
    if digits:
        return int(digits.group(0))
    for word in clean(text).split():
        if word in _NUMBER_WORDS:
            return _NUMBER_WORDS[word]
    return None


def question_like(text: str) -> bool:
    """A message that reads as a new question, not an answer to ours (a «?» or a long sentence)."""
    return "?" in text or len(clean(text).split()) > 6
