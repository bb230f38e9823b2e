"""`sferum-bot run`: the bot itself, until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio

from bot.commands._common import EXIT_CONFIG, fail, settings_from
from bot.logs import setup_logging


def _run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    from bot.services.faq import check_knowledge_files

    problem = check_knowledge_files(settings)
    if problem is not None:
        fail(problem, EXIT_CONFIG)
    if not settings.token:
        fail("не задан ключ доступа сообщества: укажите [vk] token в файле настроек "
             "или SFERUM_VK__TOKEN в окружении или в файле --env-file", EXIT_CONFIG)
    setup_logging(settings.logging)
    from bot.app import run_until_signal

    asyncio.run(run_until_signal(settings))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `run` subcommand."""
    parser = sub.add_parser("run", parents=[common], help="запустить бота",
                            description="Запускает бота: Long Poll ВКонтакте, напоминания, рассылки.")
    parser.set_defaults(func=_run)
