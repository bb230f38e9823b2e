"""`sferum-bot ask` and `sferum-bot faq-eval`: the FAQ engine from the command line."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.faq import FaqAnswer, FaqEngine, KnowledgeBaseError
from bot.faq.knowledge import MESSENGERS
from bot.faq.questions import accepted, parse_labelled
from bot.faq.reply import DEFAULT_MESSENGER, Messenger


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add the `ask` and `faq-eval` subcommands."""
    ask = sub.add_parser(
        "ask",
        parents=[common],
        help="ответить на вопросы о Сферуме из базы знаний",
        description="Отвечает на вопросы (по одному в аргументе; «-» — читать по строке из stdin).",
    )
    ask.add_argument("--json", action="store_true", help="по JSON-объекту на строку")
    ask.add_argument(
        "--messenger",
        choices=MESSENGERS,
        default=None,
        help="для какого мессенджера шаги в ответах: max или vk "
        "(по умолчанию — messenger_preference единственной школы, иначе max)",
    )
    ask.add_argument("questions", nargs="+", metavar="ВОПРОС", help="вопрос или «-»")
    ask.set_defaults(func=run_ask)

    evaluate = sub.add_parser(
        "faq-eval",
        parents=[common],
        help="точность базы знаний на файле «тема<TAB>вопрос»",
        description="Считает точность top-1 по файлу строк «тема<TAB>вопрос» (none — без темы).",
    )
    evaluate.add_argument("file", type=Path, metavar="ФАЙЛ.tsv", help="файл «тема<TAB>вопрос»")
    evaluate.add_argument("--json", action="store_true", help="результат одним JSON-объектом")
    evaluate.set_defaults(func=run_eval)


class _CliError(Exception):
    """An error to print in Russian on stderr, exiting with 1."""


def _utf8(stream: TextIO) -> TextIO:
    # Output must be UTF-8 whatever the locale; test doubles (StringIO) pass through.
    if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower() not in ("utf-8", "utf8"):
        stream.reconfigure(encoding="utf-8")
    return stream


def _stdin_lines() -> list[str]:
    # Questions are UTF-8 whatever the locale says; test doubles (StringIO) have no buffer.
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read().splitlines()
    raw: bytes = buffer.read()
    return raw.decode("utf-8", errors="replace").splitlines()


def _school_settings(args: argparse.Namespace) -> tuple[Path | None, Messenger]:
    """The school's FAQ file and messenger when --config names a configuration."""
    config = getattr(args, "config", None)
    if config is None:
        return None, DEFAULT_MESSENGER
    # Imported lazily: `ask` works without any configuration at all.
    from bot.config import ConfigError, load_settings

    try:
        settings = load_settings(config)
        school = settings.school()
    except ConfigError as exc:
        raise _CliError(str(exc)) from None
    return school.faq_file, school.messenger_preference


def _engine(args: argparse.Namespace) -> FaqEngine:
    """The bundled knowledge base, plus the school's FAQ file when --config names one."""
    overrides, _ = _school_settings(args)
    try:
        return FaqEngine.load(overrides_path=overrides)
    except KnowledgeBaseError as exc:
        raise _CliError(str(exc)) from None


def _messenger(args: argparse.Namespace) -> Messenger:
    """--messenger, else the only school's messenger_preference, else MAX."""
    chosen = getattr(args, "messenger", None)
    if chosen in MESSENGERS:
        return "vk" if chosen == "vk" else "max"
    return _school_settings(args)[1]


def _questions(raw: Sequence[str]) -> list[str]:
    questions: list[str] = []
    for item in raw:
        if item == "-":
            questions.extend(line for line in _stdin_lines() if line.strip())
        else:
            questions.append(item)
    return questions


def _readable(answer: FaqAnswer, engine: FaqEngine) -> str:
    if answer.topic is None:
        heading = "Тема: нет" if answer.kind != "greeting" else "Тема: нет (приветствие/беседа)"
    else:
        heading = f"Тема: {engine.topics[answer.topic].title} ({answer.topic})"
    lines = [
        f"Вопрос: {answer.question}",
        f"{heading}, уверенность {answer.confidence:.2f}",
    ]
    if answer.entry is not None:
        lines.append(f"Ответ: {engine.entry_by_id[answer.entry].title} ({answer.entry})")
    if answer.related:
        lines.append("Ещё в теме: " + "; ".join(engine.entry_by_id[e].title for e in answer.related))
    if answer.alternatives:
        lines.append("Другие темы: " + ", ".join(answer.alternatives))
    lines += ["", answer.answer, ""]
    return "\n".join(lines)


def run_ask(args: argparse.Namespace) -> int:
    """Answer each question; JSON lines with --json, readable Russian text otherwise."""
    out = _utf8(sys.stdout)
    try:
        engine = _engine(args)
        messenger = _messenger(args)
        questions = _questions(args.questions)
    except _CliError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 1
    for question in questions:
        answer = engine.ask(question, messenger=messenger)
        if args.json:
            out.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
        else:
            out.write(_readable(answer, engine) + "\n")
    out.flush()
    return 0


def read_eval_file(path: Path, known: Iterable[str]) -> list[tuple[str, str]]:
    """`(expected, question)` pairs of a `topic<TAB>question` file; blank lines skipped.

    `expected` is a topic id, `none`, or accepted topics joined by «|» («web_version|max»).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _CliError(f"файл не найден: {path}") from None
    except UnicodeDecodeError:
        raise _CliError(f"{path}: файл не в кодировке UTF-8") from None
    except OSError as exc:
        raise _CliError(f"{path}: не удалось прочитать ({exc.strerror})") from None
    try:
        return parse_labelled(text, path.name, known)
    except KnowledgeBaseError as exc:
        raise _CliError(str(exc)) from None


def evaluate(engine: FaqEngine, rows: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Accuracy in the `faq-eval --json` format: top-1 (`none` expects topic null, `a|b`
    accepts either), top-2, direct answers and the confusion between topics."""
    per_topic: dict[str, dict[str, int]] = {}
    confusion: dict[str, dict[str, int]] = {}
    misses: list[dict[str, Any]] = []
    correct = top2 = direct = direct_correct = 0
    for expected, question in rows:
        answer = engine.ask(question)
        got = answer.topic
        right = accepted(expected)
        hit = got in right
        second = answer.alternatives[0] if answer.alternatives else None
        stats = per_topic.setdefault(expected, {"total": 0, "correct": 0})
        stats["total"] += 1
        row = confusion.setdefault(expected, {})
        row[got or "none"] = row.get(got or "none", 0) + 1
        if hit or (got is not None and second in right):
            top2 += 1
        if answer.kind == "answer":
            direct += 1
            direct_correct += hit
        if hit:
            stats["correct"] += 1
            correct += 1
        else:
            misses.append({"question": question, "expected": expected, "got": got})
    total = len(rows)
    return {
        "total": total,
        "correct": correct,
        "accuracy": round(correct / total, 4) if total else 0.0,
        "per_topic": dict(sorted(per_topic.items())),
        "misses": misses,
        "top2_correct": top2,
        "direct": direct,
        "direct_correct": direct_correct,
        "confusion": {k: dict(sorted(v.items())) for k, v in sorted(confusion.items())},
    }


def _readable_report(report: dict[str, Any]) -> str:
    total = report["total"] or 1
    lines = [
        f"Точность: {report['correct']} из {report['total']} ({report['accuracy'] * 100:.1f} %)",
        f"Верная тема среди первых двух: {report['top2_correct']} "
        f"({report['top2_correct'] / total * 100:.1f} %)",
        f"Прямых ответов: {report['direct']}, из них с верной темой: {report['direct_correct']}",
        "",
        "По темам:",
    ]
    for topic, stats in report["per_topic"].items():
        lines.append(f"  {topic:<12} {stats['correct']:>3} из {stats['total']}")
    if report["misses"]:
        lines += ["", "Промахи:"]
        for miss in report["misses"]:
            got = miss["got"] or "none"
            lines.append(f"  [{miss['expected']} → {got}] {miss['question']}")
    return "\n".join(lines)


def run_eval(args: argparse.Namespace) -> int:
    """Print accuracy overall and per topic; exit 0 whatever the accuracy."""
    out = _utf8(sys.stdout)
    try:
        engine = _engine(args)
        rows = read_eval_file(args.file, engine.topics)
    except _CliError as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 1
    report = evaluate(engine, rows)
    if args.json:
        out.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        out.write(_readable_report(report) + "\n")
    out.flush()
    return 0
