"""`doctor`: check the config, the token and the community's settings; say how to fix each problem."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.config import Settings

ApiCall = Callable[[str, dict[str, Any]], Awaitable[Any]]

REQUIRED_EVENTS = {
    "message_new": "Входящее сообщение",
    "message_event": "Действие с сообщением (нажатие callback-кнопки)",
    "message_allow": "Разрешение на получение",
    "message_deny": "Запрет на получение",
    "message_reply": "Исходящее сообщение",
}
REQUIRED_SCOPES = {
    "messages": "сообщения сообщества",
    "photos": "фотографии",
    "docs": "документы",
    "manage": "управление сообществом",
}
CANNOT_CHECK = (
    "Ключ сообщества не позволяет проверить: включены ли «Возможности ботов» (без них не будет кнопок), "
    "разрешено ли добавлять сообщество в беседы и выдан ли боту доступ ко всем сообщениям в беседах. "
    "Проверьте это вручную: Управление → Сообщения → Настройки для бота."
)


class VkCallError(Exception):
    """An API error from VK during the check."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    fix: str = ""


async def diagnose(settings: Settings, call: ApiCall) -> list[Finding]:
    """Every check in order; a failed token check stops the ones that need it."""
    findings = [Finding(True, f"Настройки прочитаны: школ — {len(settings.schools)}.")]
    if not settings.token:  # only when called for VK alone: `doctor` checks VK when its token is set
        findings.append(Finding(False, "Не задан ключ доступа сообщества.",
                                "Укажите [vk] token в config.toml или переменную окружения SFERUM_VK__TOKEN."))
        return findings
    try:
        found = await call("groups.getById", {})
    except VkCallError as exc:
        fix = ("Создайте новый ключ: Управление → Работа с API → Ключи доступа."
               if exc.code == 5 else f"Ошибка ВКонтакте {exc.code}; повторите позже.")
        findings.append(Finding(False, f"Ключ доступа не принят ВКонтакте ({exc}).", fix))
        return findings
    except OSError as exc:
        findings.append(Finding(False, f"Нет связи с API ВКонтакте ({settings.vk.api_url}): {exc}.",
                                "Проверьте доступ сервера в интернет и [vk] api_url."))
        return findings
    groups = found["groups"] if isinstance(found, dict) else found
    group = groups[0]
    group_id = int(group["id"])
    findings.append(Finding(True, f"Ключ принят: сообщество «{group.get('name', group_id)}» (id {group_id})."))
    if settings.vk.group_id and settings.vk.group_id != group_id:
        findings.append(Finding(False, f"В настройках group_id = {settings.vk.group_id}, а ключ от сообщества {group_id}.",
                                f"Исправьте [vk] group_id на {group_id} или поставьте 0."))

    lp = await call("groups.getLongPollSettings", {"group_id": group_id})
    if not lp.get("is_enabled"):
        findings.append(Finding(False, "Long Poll API выключен.",
                                "Управление → Работа с API → Long Poll API → «Включён»."))
    else:
        findings.append(Finding(True, "Long Poll API включён."))
    version = str(lp.get("api_version", ""))
    if version != settings.vk.api_version:
        findings.append(Finding(False, f"Версия Long Poll API {version or 'не указана'}, нужна {settings.vk.api_version}.",
                                f"Управление → Работа с API → Long Poll API → Версия API: {settings.vk.api_version}."))
    events = lp.get("events") or {}
    missing = [label for name, label in REQUIRED_EVENTS.items() if not events.get(name)]
    if missing:
        findings.append(Finding(False, "Не включены типы событий: " + "; ".join(missing) + ".",
                                "Управление → Работа с API → Long Poll API → Типы событий: отметьте их."))
    else:
        findings.append(Finding(True, "Нужные типы событий включены."))

    perms = await call("groups.getTokenPermissions", {})
    have = {p.get("name") for p in perms.get("permissions", [])}
    lacking = [label for name, label in REQUIRED_SCOPES.items() if name not in have]
    if lacking:
        findings.append(Finding(False, "У ключа нет прав: " + ", ".join(lacking) + ".",
                                "Создайте ключ заново с правами: сообщения, фотографии, документы, управление."))
    else:
        findings.append(Finding(True, "У ключа есть все нужные права."))
    findings.append(Finding(True, CANNOT_CHECK))
    return findings


def _lines(findings: list[Finding]) -> list[str]:
    lines = []
    for f in findings:
        lines.append(("✓ " if f.ok else "✗ ") + f.what)
        if f.fix:
            lines.append("  Как исправить: " + f.fix)
    return lines


def _total(findings: list[Finding]) -> str:
    problems = sum(1 for f in findings if not f.ok)
    return "Всё в порядке." if problems == 0 else f"Проблем: {problems}."


def render(findings: list[Finding]) -> str:
    """A readable Russian report: ✓ for what is fine, ✗ with the fix for each problem."""
    return "\n".join([*_lines(findings), _total(findings)])


def render_sections(sections: list[tuple[str, list[Finding]]]) -> str:
    """One report per messenger under its name (just the findings when there is one), then the total."""
    if len(sections) == 1:
        return render(sections[0][1])
    lines: list[str] = []
    for title, findings in sections:
        lines += [f"{title}:", *_lines(findings), ""]
    return "\n".join([*lines, _total([f for _, found in sections for f in found])])
