"""`sferum-bot doctor`: is each configured messenger set up for the bot?"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.commands._common import EXIT_CONFIG, fail, settings_from
from bot.config import Settings
from bot.missing_bots import missing_bots
from bot.services.doctor import Finding, VkCallError, diagnose, render, render_sections

if TYPE_CHECKING:
    from bot.max.doctor import KnownChat

NO_TOKEN = Finding(False, "Не задан ключ ни ВКонтакте, ни MAX: боту не в чем работать.",
                   "Укажите [vk] token (или переменную окружения SFERUM_VK__TOKEN) для ВКонтакте и/или "
                   "[max] token (или SFERUM_MAX__TOKEN) для MAX — в config.toml или в файле --env-file.")


async def _check_vk(settings: Settings) -> list[Finding]:
    """The VK findings; OSError when VK cannot be reached."""
    from bot.vk.api import NetworkError, make_api, network_reason
    from bot.vk.calls import VkError, api_call

    api = make_api(settings)
    raw_call = api_call(api)

    async def call(method: str, params: dict[str, Any]) -> Any:
        try:
            return await raw_call(method, params)
        except VkError as exc:
            raise VkCallError(exc.code, str(exc)) from None

    try:
        return await diagnose(settings, call)
    except (NetworkError, OSError, TimeoutError) as exc:
        # Said as a finding, so that MAX is still checked when VK cannot be reached.
        return [Finding(False, f"Нет связи с API ВКонтакте ({settings.vk.api_url}): {network_reason(exc)}.",
                        "Проверьте подключение к интернету и адрес [vk] api_url в настройках.")]
    finally:
        await api.http_client.close()


async def _check_max(settings: Settings, chats: Sequence[KnownChat]) -> list[Finding]:
    from bot.max.client import MaxClient
    from bot.max.doctor import diagnose_max

    client = MaxClient(settings.max_token, settings.max.api_url, timeout=15.0)
    try:
        return await diagnose_max(settings, client, chats)
    finally:
        await client.close()


async def _check(settings: Settings, max_chats: Sequence[KnownChat] | None = None) -> tuple[str, bool]:
    """The rendered findings of every messenger whose token is set, and whether all are fine.

    OSError when VK cannot be reached. `max_chats`: the MAX group chats to check (default: the ones
    the bot's database knows)."""
    sections: list[tuple[str, list[Finding]]] = []
    # Each VK community and MAX bot as the single form (several: each under its name).
    for community in settings.vk.running():
        title = "ВКонтакте" if not settings.vk.communities else f"ВКонтакте «{community.name}»"
        sections.append((title, await _check_vk(settings.for_bot(vk=community))))
    for index, max_bot in enumerate(settings.max.running()):
        # The chats the database knows are the first bot's (max_chats keeps no bot).
        chats = [] if index else await _known_chats(settings) if max_chats is None else max_chats
        title = "MAX" if not settings.max.bots else f"MAX «{max_bot.name}»"
        sections.append((title, await _check_max(settings.for_bot(max_bot=max_bot), chats)))
    missing = missing_bots(settings)
    if missing:
        sections.append(("Школы", [Finding(False, m.problem(), m.fix()) for m in missing]))
    if not sections or all(title == "Школы" for title, _ in sections):
        # The settings themselves read fine; say so before the one problem.
        findings = [Finding(True, f"Настройки прочитаны: школ — {len(settings.schools)}."), NO_TOKEN]
        findings += [Finding(False, m.problem(), m.fix()) for m in missing]
        return render(findings), False
    return render_sections(sections), all(f.ok for _, found in sections for f in found)


async def _known_chats(settings: Settings) -> list[KnownChat]:
    """The MAX group chats the bot has learnt of from `bot_added` (none while the database does not
    exist yet or cannot be read: `doctor` reports on the messengers, not on the database)."""
    from bot.max.doctor import KnownChat
    from storage.max_chats import known_chats

    chats = await known_chats(settings.storage.database_path, settings.storage.postgres_url)
    return [KnownChat(chat_id=c.chat_id, title=c.title) for c in chats]


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
    parser = sub.add_parser("doctor", parents=[common], help="проверить ключи и настройки ВКонтакте и MAX",
                            description="Проверяет настройки, ключи доступа, настройки сообщества ВКонтакте и "
                                        "бота MAX (как он получает события, права в групповых чатах).")
    parser.set_defaults(func=_run)
