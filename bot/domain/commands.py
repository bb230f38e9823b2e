"""The commands people type, per role: the help message and typo-tolerant recognition.

`near(text, words)` reads «свотка» as «сводка» (one letter off in a word of five or more,
two in a long phrase), so a command typed with a typo just works; `guess(text, role)`
finds a command that is probably meant («напомни всем» → «Рассылка») so the bot can ask
«Вы имели в виду …?» with a button.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from bot.domain.answers import clean
from bot.domain.models import Role

STAFF_ROLES = (Role.TEACHER, Role.STAFF, Role.DEPUTY, Role.DIRECTOR)
SCHOOL_HEADS = (Role.DEPUTY, Role.DIRECTOR)


class Command(BaseModel):
    """One thing a person can ask the bot for: its button payload, label, words and an example."""

    model_config = ConfigDict(frozen=True)

    cmd: str
    label: str
    what: str
    example: str
    roles: tuple[Role, ...]
    words: tuple[str, ...] = ()  # typed forms the handler accepts (for guessing)
    hints: tuple[str, ...] = ()  # words that suggest it, not enough to run it («напомни всем»)


COMMANDS: tuple[Command, ...] = (
    Command(cmd="upload", label="Загрузить таблицу", roles=(Role.DEPUTY,),
            what="статистика Сферума или список сотрудников",
            example="пришлите файл xlsx, xls или csv прямо сюда",
            words=("загрузить таблицу",), hints=("загрузить", "таблица", "статистика", "список сотрудников")),
    Command(cmd="broadcast", label="Рассылка", roles=(Role.DEPUTY,),
            what="написать сотрудникам: всем, отстающим или классному руководителю",
            example="«рассылка», затем «всем» или «5А»",
            words=("рассылка", "сделать рассылку"),
            hints=("напомни всем", "напомнить всем", "напомни", "напомнить", "разослать", "написать всем",
                   "оповестить", "объявление", "сообщить всем", "разошли")),
    Command(cmd="summary", label="Сводка", roles=(Role.DEPUTY, Role.DIRECTOR, Role.DISTRICT, Role.REGION),
            what="показатели школы за неделю и таблица",
            example="«сводка»",
            words=("сводка", "сводку", "сводка по школе", "сводка по району"),
            hints=("показатели", "отчёт", "отчет", "статистика школы", "итоги недели")),
    Command(cmd="migration_report", label="Перенос чатов", roles=SCHOOL_HEADS,
            what="кто из сотрудников подтвердил перенос рабочих чатов",
            example="«перенос чатов»",
            words=("перенос чатов", "отчёт по чатам", "отчет по чатам"), hints=("перенос", "кто перенёс чаты")),
    Command(cmd="questions", label="Вопросы сотрудников", roles=(Role.DEPUTY,),
            what="ответить на вопросы, на которые бот не нашёл ответа",
            example="«вопросы сотрудников»",
            words=("вопросы сотрудников", "открытые вопросы"), hints=("вопросы",)),
    Command(cmd="unreachable", label="Кто не подписан", roles=(Role.DEPUTY,),
            what="кому бот не может написать и как их пригласить",
            example="«кто не подписан»",
            words=("кто не подписан", "не подписаны", "приглашение"), hints=("не подписан", "пригласить")),
    Command(cmd="inv_links", label="Ссылки MAX", roles=(Role.DEPUTY,),
            what="персональные ссылки в MAX с QR-кодами: сотрудник открывает свою и бот сразу его узнаёт",
            example="«ссылки MAX» — для всех; «ссылка MAX Иванова Анна Петровна» — для одного",
            words=("ссылки max", "ссылки в max", "ссылки макс", "персональные ссылки"),
            hints=("ссылка max", "ссылки", "qr-код", "qr коды")),
    Command(cmd="imp_pending", label="Отложенные строки", roles=(Role.DEPUTY,),
            what="строки таблицы, которые бот не сопоставил с людьми",
            example="«отложенные»",
            words=("отложенные", "отложенные строки")),
    Command(cmd="reminder_templates", label="Шаблоны напоминаний", roles=(Role.DEPUTY,),
            what="посмотреть и изменить тексты напоминаний (с предпросмотром)",
            example="«шаблоны напоминаний», затем «шаблон 2: …»",
            words=("шаблоны напоминаний", "шаблоны", "тексты напоминаний"), hints=("шаблон", "текст напоминания")),
    Command(cmd="my_status", label="Мой статус", roles=STAFF_ROLES,
            what="ваши показатели и что осталось сделать",
            example="«мой статус»",
            words=("мой статус", "статус", "моя статистика"), hints=("мои показатели",)),
    Command(cmd="my_chats", label="Мои чаты", roles=STAFF_ROLES,
            what="подтвердить перенос своих рабочих чатов",
            example="«мои чаты»",
            words=("мои чаты", "чаты")),
    Command(cmd="my_data", label="Мои данные", roles=tuple(Role),
            what="что бот хранит о вас, с выгрузкой файлом",
            example="«мои данные»",
            words=("мои данные", "мои персональные данные")),
    Command(cmd="faq", label="Вопрос по Сферуму", roles=tuple(Role),
            what="спросите о Сферуме своими словами: отвечу сам, а если не знаю, передам вопрос ответственному",
            example="«как войти в Сферум через Госуслуги?»",
            words=("вопрос по сферуму",)),
)

# What greets and shows the main menu (the «start» button's words typed by hand).
MENU_WORDS = ("начать", "меню", "старт", "/start", "привет", "здравствуйте", "добрый день")
HELP_WORDS = ("помощь", "справка", "help", "/help", "что ты умеешь", "что умеешь", "команды", "что ты можешь",
              "что можешь", "помоги", "помогите", "нужна помощь", "инструкция")
_HEADS = {
    Role.DEPUTY: "Что я умею для заместителя директора:",
    Role.DIRECTOR: "Что я умею для директора:",
    Role.DISTRICT: "Что я умею для управления образования:",
    Role.REGION: "Что я умею для управления образования региона:",
}


def commands_for(role: Role) -> list[Command]:
    """The commands a role may use, in the help's order."""
    return [c for c in COMMANDS if role in c.roles]


def help_text(role: Role) -> str:
    """The help message of a role: what it can do, with an example each."""
    head = _HEADS.get(role, "Что я умею:")
    lines = [f"• {c.label} — {c.what}. Например: {c.example}." for c in commands_for(role)]
    return (f"{head}\n" + "\n".join(lines) +
            "\n\nКоманду можно нажать кнопкой внизу или написать словами — опечатки не страшны.")


def _limit(word: str) -> int:
    """How many letters may be off: none in short words (они слишком похожи), one from 5, two from 9."""
    if len(word) >= 9:
        return 2
    return 1 if len(word) >= 5 else 0


def near(text: str, words: Iterable[str]) -> str | None:
    """The command word `text` means despite a typo («свотка» → «сводка»), or None."""
    typed = clean(text).replace("ё", "е")
    if not typed:
        return None
    best: tuple[int, str] | None = None
    for word in words:
        target = word.lower().replace("ё", "е")
        limit = _limit(target)
        if not limit or abs(len(target) - len(typed)) > limit:
            continue
        distance = Levenshtein.distance(typed, target, score_cutoff=limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, word)
    return best[1] if best else None


class Guess(BaseModel):
    """A command the person probably meant, with how sure the guess is (0–100)."""

    model_config = ConfigDict(frozen=True)

    command: Command
    score: float


def guess(text: str, role: Role) -> Guess | None:
    """The command a short message probably means («напомни всем», «сводочка»), among the role's."""
    typed = clean(text)
    if not typed or len(typed.split()) > 4:
        return None
    found: Guess | None = None
    for command in commands_for(role):
        score = 0.0
        for word in command.words:
            score = max(score, fuzz.ratio(typed, word.lower()))
        for hint in command.hints:
            if typed == hint or typed.startswith(hint + " "):
                score = max(score, 90.0)
            else:
                score = max(score, fuzz.ratio(typed, hint) - 5)
        if score >= 75 and (found is None or score > found.score):
            found = Guess(command=command, score=score)
    return found


def known_words() -> frozenset[str]:
    """Every word that runs a command exactly; a typo-tolerant match never steals one of them."""
    return frozenset(w for c in COMMANDS for w in c.words) | frozenset(HELP_WORDS) | frozenset(MENU_WORDS)


# Words the handlers' command filters accept, added as the filters are built.
_FILTER_WORDS: set[str] = set()


def register_words(words: Iterable[str]) -> None:
    """Note words a command filter accepts, so that a dialog step lets them through as commands."""
    _FILTER_WORDS.update(w.lower() for w in words)


def command_words() -> frozenset[str]:
    """Every command word: the known ones and those any command filter accepts."""
    return known_words() | frozenset(_FILTER_WORDS)


def is_command_text(typed: str) -> bool:
    """Is a typed text (already without the bot's mention) a command (a typo allowed)?

    A dialog's button step leaves those alone.
    """
    typed = typed.strip().lower().rstrip("!.?")
    if not typed:
        return False
    words = command_words()
    return typed in words or near(typed, words) is not None
