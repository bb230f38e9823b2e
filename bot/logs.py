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


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


def setup_logging(config: LoggingConfig) -> None:
    """Configure the root logger once, at start (never at import time)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RedactingFilter())
    if config.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.level)
    # vkbottle logs every update at DEBUG/INFO, message texts included.
    logging.getLogger("vkbottle").setLevel(max(logging.WARNING, root.level))
