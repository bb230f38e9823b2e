"""Logging to standard output, plain or JSON, with secrets and personal data masked."""

from __future__ import annotations

import json
import logging
import re
import sys

from bot.config import LoggingConfig

# Tokens in URLs or parameters, and phone numbers, never reach the log.
_PATTERNS = (
    (re.compile(r"(access_token=|Bearer\s+|token[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._\-]{6,}"), r"\1***"),
    (re.compile(r"(?<!\d)(?:\+7|8)[\s\-(]*\d{3}[\s\-)]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)"), "+7***"),
)


def redact(text: str) -> str:
    """Mask tokens and phone numbers in a log line."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Applies `redact` to every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage())
        record.msg, record.args = message, None
        return True


# Our own loggers already speak Russian; other libraries' WARNING+ lines are translated here.
OWN_LOGGERS = ("bot", "handlers", "storage", "__main__")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_FOREIGN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Run time of job (.+) was missed by (.+)"), r"задача расписания \1 пропущена: опоздание \2"),
    (re.compile(r"Execution of job (.+) skipped: maximum number of running instances reached.*"),
     r"задача расписания \1 пропущена: предыдущий запуск ещё не закончился"),
    (re.compile(r"Job (.+) raised an exception"), r"задача расписания \1 завершилась с ошибкой"),
    (re.compile(r"Unable to make request to (.+), retrying.*"), r"ВКонтакте недоступен (\1); повтор"),
    (re.compile(r"Unknown failure code (.+?), event.*"), r"Long Poll: неизвестный код сбоя \1"),
    (re.compile(r"Task exception was never retrieved.*", re.S), "ошибка в фоновой задаче"),
    (re.compile(r"Unclosed client session.*", re.S), "соединение HTTP не закрыто"),
    (re.compile(r"Unclosed connector.*", re.S), "соединение HTTP не закрыто"),
)


def translate_foreign(name: str, message: str) -> str:
    """A library's WARNING+ message in Russian: known ones translated, others quoted after a
    Russian lead."""
    for pattern, replacement in _FOREIGN:
        match = pattern.fullmatch(message.strip())
        if match:
            return match.expand(replacement)
    return f"сообщение библиотеки {name.split('.')[0]}: «{message}»"


class OperatorFilter(logging.Filter):
    """What an operator reads: secrets masked, other libraries' warnings in Russian."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage())
        if record.levelno >= logging.WARNING and not record.name.startswith(OWN_LOGGERS):
            message = translate_foreign(record.name, message)
        record.msg, record.args = message, None
        return True


def _brief(record: logging.LogRecord) -> str:
    """The exception's type in place of its traceback."""
    if record.exc_info and record.exc_info[0] is not None:
        return f" ({record.exc_info[0].__name__})"
    return ""


class PlainFormatter(logging.Formatter):
    """One line per record; tracebacks only when the log level is DEBUG."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__(PLAIN_FORMAT)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks:
            return super().format(record)
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return line + _brief(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors (tracebacks only at DEBUG)."""

    def __init__(self, tracebacks: bool = True) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and self.tracebacks:
            data["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_info:
            data["message"] += _brief(record)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(config: LoggingConfig) -> None:
    """Configure the root logger once, at start (never at import time)."""
    handler = logging.StreamHandler(sys.stdout)
    install_operator_handler(handler, config.level, config.format)


def install_operator_handler(handler: logging.Handler, level: str | int, fmt: str = "plain") -> None:
    """Make `handler` the root logger's only handler, in the operator's terms: Russian warnings,
    no tracebacks unless `level` is DEBUG, libraries' chatter quiet."""
    root = logging.getLogger()
    root.setLevel(level)
    tracebacks = root.level <= logging.DEBUG
    handler.addFilter(OperatorFilter())
    handler.setFormatter(JsonFormatter(tracebacks) if fmt == "json" else PlainFormatter(tracebacks))
    root.handlers[:] = [handler]
    quiet = max(logging.WARNING, root.level)
    # vkbottle logs every update at DEBUG/INFO, message texts included; APScheduler logs every job
    # run at INFO.
    for name in ("vkbottle", "apscheduler"):
        logging.getLogger(name).setLevel(quiet)
    # vkbottle puts its own coloured English handler on its logger unless one is there already:
    # a NullHandler keeps it out, and its records reach ours through the root.
    logging.getLogger("vkbottle").handlers[:] = [logging.NullHandler()]
