"""`sferum-bot doctor`: is the community set up for the bot?"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.commands._common import EXIT_CONFIG, fail, settings_from
from bot.config import Settings
from bot.services.doctor import VkCallError, diagnose, render


async def _check(settings: Settings) -> tuple[str, bool]:
    """The rendered findings and whether all are fine; OSError when VK cannot be reached."""
    from bot.vk.api import make_api
    from bot.vk.calls import VkError, api_call

    api = make_api(settings)
    raw_call = api_call(api)

    async def call(method: str, params: dict[str, Any]) -> Any:
        try:
            return await raw_call(method, params)
        except VkError as exc:
            raise VkCallError(exc.code, str(exc)) from None

    try:
        findings = await diagnose(settings, call)
    finally:
        await api.http_client.close()
    return render(findings), all(f.ok for f in findings)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    from bot.services.faq import check_knowledge_files

    problem = check_knowledge_files(settings)
    if problem is not None:
        fail(problem, EXIT_CONFIG)
    import aiohttp

    from bot.vk.api import network_reason

    try:
        text, ok = asyncio.run(_check(settings))
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        fail(f"не удалось связаться с ВКонтакте ({settings.vk.api_url}): {network_reason(exc)}. "
             "Проверьте подключение к интернету и адрес [vk] api_url в настройках.")
    print(text)
    return 0 if ok else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    """Add the `doctor` subcommand."""
    parser = sub.add_parser("doctor", parents=[common], help="проверить настройки сообщества и ключ",
                            description="Проверяет настройки, ключ доступа и настройки сообщества ВКонтакте.")
    parser.set_defaults(func=_run)
