"""`doctor` for MAX: the token (`GET /me`), how updates arrive (`GET /subscriptions`) and, for each
group chat the bot knows, whether it is an admin allowed to read every message
(`GET /chats/{chatId}` and `GET /chats/{chatId}/members/me`). Each problem comes with its fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import Settings
from bot.max.bridge import UPDATE_TYPES
from bot.max.client import MaxApiError, MaxClient
from bot.ports import NotAdmin, PortFailure, RetryLater
from bot.services.doctor import Finding

READ_ALL = "read_all_messages"
TOKEN_PLACE = "business.max.ru → «Чат-боты» → ⋮ → «Настройки»"
MAKE_ADMIN = ("в MAX откройте чат → участники → бот → «Назначить администратором» и включите право "
              "«Читать все сообщения»")


@dataclass(frozen=True)
class KnownChat:
    """A group chat the bot learnt of from `bot_added` (its title as then known, if any)."""

    chat_id: int
    title: str | None = None


async def diagnose_max(settings: Settings, client: MaxClient, chats: Sequence[KnownChat]) -> list[Finding]:
    """Every MAX check in order; a token MAX refuses (or no connection) stops the rest."""
    conf = settings.max
    try:
        me = await client.call("GET", "/me")
    except MaxApiError as exc:
        if exc.status == 401:
            return [Finding(False, "MAX не принял ключ бота.",
                            f"Скопируйте ключ заново ({TOKEN_PLACE}) в [max] token или в переменную "
                            "окружения SFERUM_MAX__TOKEN. Новый бот работает только после модерации.")]
        return [Finding(False, f"MAX ответил на проверку ключа ошибкой {exc.status} ({exc.code}).",
                        "Повторите проверку позже.")]
    except RetryLater as exc:
        return [Finding(False, f"Нет связи с API MAX ({conf.api_url}): {exc}.",
                        "Проверьте доступ сервера в интернет, адрес [max] api_url и что в системе есть "
                        "корневой сертификат Минцифры (бот добавляет его сам).")]
    name = me.get("first_name") or me.get("name") or "бот"
    username = f", @{me['username']}" if me.get("username") else ""
    findings = [Finding(True, f"Ключ принят: бот «{name}» (id {me.get('user_id')}{username}).")]
    findings += await _updates(settings, client)
    findings += await _chats(client, chats)
    return findings


async def _updates(settings: Settings, client: MaxClient) -> list[Finding]:
    """Polling wants no subscription; webhook mode wants exactly the configured public URL."""
    conf = settings.max
    found = await client.call("GET", "/subscriptions")
    subscribed = [s for s in found.get("subscriptions") or [] if isinstance(s, dict)]
    urls = [str(s.get("url")) for s in subscribed]
    if conf.mode == "polling":
        if not urls:
            return [Finding(True, "Режим polling: подписки на вебхук нет, бот сам забирает события.")]
        return [Finding(False, "Режим polling, но у бота есть подписка на вебхук: " + ", ".join(urls)
                        + ". Пока она есть, MAX не отдаёт события опросом.",
                        "«sferum-bot run» снимает подписку при запуске. Если её ставит другая программа с тем "
                        "же ключом, остановите её; для постоянной работы переключите [max] mode = \"webhook\".")]
    mine = next((s for s in subscribed if s.get("url") == conf.public_url), None)
    if mine is None:
        what = ("Вебхук подписан на другой адрес: " + ", ".join(urls)) if urls else "Подписки на вебхук нет"
        return [Finding(False, f"{what}, а в настройках public_url = {conf.public_url}: MAX не присылает туда "
                               "события.",
                        "Запустите бота («sferum-bot run» подписывает public_url сам и снимает чужие подписки); "
                        "проверьте, что адрес открывается снаружи по HTTPS на порту 443 и nginx или Caddy "
                        f"передаёт его на {conf.webhook_host}:{conf.webhook_port}{conf.webhook_path}.")]
    findings = [Finding(True, f"Вебхук подписан на {conf.public_url}.")]
    types = mine.get("update_types")
    missing = [t for t in UPDATE_TYPES if types and t not in types]
    if missing:
        findings.append(Finding(False, "Подписка не получает события: " + ", ".join(missing) + ".",
                                "Перезапустите бота: при запуске он подписывается на все нужные события."))
    return findings


async def _chats(client: MaxClient, chats: Sequence[KnownChat]) -> list[Finding]:
    """For each known group chat: is the bot still there, an admin, allowed to read every message?"""
    if not chats:
        return [Finding(True, "Групповых чатов бот пока не знает: MAX сообщает о чате, когда бота добавляют в него. "
                              "Добавьте бота в рабочие чаты школы администратором с правом «Читать все "
                              "сообщения».")]
    findings = []
    for known in chats:
        findings.append(await _chat(client, known))
    return findings


async def _chat(client: MaxClient, known: KnownChat) -> Finding:
    title = known.title
    try:
        chat = await client.call("GET", f"/chats/{known.chat_id}", forbidden=NotAdmin)
        title = chat.get("title") or title
        me = await client.call("GET", f"/chats/{known.chat_id}/members/me", forbidden=NotAdmin)
    except NotAdmin:
        return Finding(False, f"{_name(known.chat_id, title)}: бота в нём больше нет.",
                       "Если чат нужен, добавьте бота снова: " + MAKE_ADMIN + ".")
    except MaxApiError as exc:
        if exc.status == 404:
            return Finding(False, f"{_name(known.chat_id, title)}: MAX такого чата не знает (удалён?).",
                           "Ничего делать не нужно, если чат удалили; иначе добавьте бота в новый чат.")
        return Finding(False, f"{_name(known.chat_id, title)}: MAX ответил ошибкой {exc.status} ({exc.code}).",
                       "Повторите проверку позже.")
    except PortFailure as exc:
        return Finding(False, f"{_name(known.chat_id, title)}: не удалось проверить ({exc}).",
                       "Повторите проверку позже.")
    name = _name(known.chat_id, title)
    if chat.get("status") not in (None, "active"):
        return Finding(False, f"{name}: бота в нём больше нет.", "Если чат нужен, добавьте бота снова: "
                       + MAKE_ADMIN + ".")
    if not me.get("is_admin"):
        return Finding(False, f"{name}: бот не администратор — MAX не присылает из чата ни сообщений, "
                              "ни событий.", MAKE_ADMIN[0].upper() + MAKE_ADMIN[1:] + ".")
    if READ_ALL not in (me.get("permissions") or []):
        return Finding(False, f"{name}: бот администратор, но без права «Читать все сообщения» — "
                              "сообщения в чате не считаются.",
                       "В MAX откройте чат → участники → бот → права администратора и включите «Читать все "
                       "сообщения».")
    return Finding(True, f"{name}: бот — администратор с правом читать все сообщения.")


def _name(chat_id: int, title: str | None) -> str:
    return f"Чат «{title}» ({chat_id})" if title else f"Чат {chat_id}"
