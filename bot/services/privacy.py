"""Personal data under 152-ФЗ: export, forget, retention and backups."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings
from bot.messaging.events import Identity, Messenger
from bot.ports import Clock, SystemClock
from bot.stores.privacy import PrivacyStores

log = logging.getLogger(__name__)

DATA_NOTICE = (
    "Что бот хранит о вас: ФИО, должность и классы из списка сотрудников школы, {account}, "
    "недельные показатели Сферума и отметки о переносе чатов. Зачем: чтобы напоминать о задачах "
    "по приказам о Сферуме и готовить сводки для администрации школы. Тексты ваших сообщений "
    "в групповых чатах бот не хранит. Сколько: статистику — {stats_days} дн., данные уволившихся "
    "сотрудников — {left_days} дн. Вопросы, выгрузка или удаление данных — у ответственного "
    "за Сферум в школе."
)

# The account the notice names, by the messenger the person is in (None: both, as in the consent).
NOTICE_ACCOUNTS = {Messenger.VK: "ваш id ВКонтакте", Messenger.MAX: "ваш id в MAX",
                   None: "ваш id ВКонтакте или MAX"}

OPERATOR_LINE = "Оператор персональных данных — {operator}."
POLICY_LINE = "Политика обработки персональных данных: {url}"
MY_DATA_HINT = "Что именно хранится о вас, покажет кнопка «Мои данные»."

BACKUP_PREFIX = "sferum-bot-"


@dataclass(frozen=True)
class PrivacyTerms:
    """What one school (or, for someone not yet identified, the deployment) tells people."""

    operator: str
    policy_url: str
    consent_required: bool
    consent_text: str

    @property
    def version(self) -> str:
        """The consent text's digest: a changed text is a new version to accept."""
        return hashlib.sha256(self.consent_text.encode("utf-8")).hexdigest()[:16]


@functools.lru_cache(maxsize=16)
def _consent_template(path: Path | None) -> str:
    if path is None:
        data = tomllib.loads(resources.files("bot.services").joinpath("consent.toml").read_text("utf-8"))
        return str(data["text"]).strip()
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"текст согласия {path} не читается: {exc}") from None


def privacy_terms(settings: Settings, org_id: str | None) -> PrivacyTerms:
    """The operator, policy link and consent for a school; for a person whose school is not known
    yet, the only school's, else the deployment's."""
    school = next((s for s in settings.schools if s.id == org_id), None)
    if school is None and len(settings.schools) == 1:
        school = settings.schools[0]
    base = settings.privacy
    own = school.privacy if school is not None else None
    fallback_name = school.name if school is not None else settings.district.name
    operator = (own.operator if own and own.operator else None) or base.operator or fallback_name
    policy = (own.policy_url if own and own.policy_url is not None else None) or base.policy_url
    required = own.consent_required if own and own.consent_required is not None else base.consent_required
    consent_file = (own.consent_file if own else None) or base.consent_file
    text = _consent_template(consent_file).replace("{operator}", operator)
    return PrivacyTerms(operator=operator, policy_url=policy, consent_required=required, consent_text=text)


def data_notice(settings: Settings, org_id: str | None, messenger: Messenger | None = None) -> str:
    """The short personal-data notice shown when a person is identified in `messenger`: what, why,
    how long, who the operator is and where its policy is."""
    school = next((s for s in settings.schools if s.id == org_id), settings.schools[0])
    terms = privacy_terms(settings, school.id)
    lines = [DATA_NOTICE.format(account=NOTICE_ACCOUNTS[messenger], stats_days=school.retention.statistics_days,
                                left_days=school.retention.left_people_days),
             OPERATOR_LINE.format(operator=terms.operator)]
    if terms.policy_url:
        lines.append(POLICY_LINE.format(url=terms.policy_url))
    lines.append(MY_DATA_HINT)
    return " ".join(lines[:2]) + "\n" + "\n".join(lines[2:])


def _account(account: int | Identity) -> tuple[str, int]:
    """(messenger, id) of an account given as an identity or, as before MAX, a VK id."""
    if isinstance(account, Identity):
        return account.messenger.value, account.external_id
    return Messenger.VK.value, account


# What each exported table means to the person, for «Мои данные».
TABLE_NAMES = {
    "people": "запись в списке сотрудников (ФИО, должность)",
    "person_classes": "классы",
    "person_stats": "недельные показатели Сферума",
    "live_counts": "счётчики сообщений в рабочих чатах",
    "vk_users": "id ВКонтакте и имя из профиля",
    "reach": "может ли каждый бот вам писать (ВКонтакте и MAX)",
    "max_dialogs": "ваш диалог с ботом в MAX",
    "binding_requests": "заявки на подтверждение учётной записи",
    "invite_links": "личные ссылки для входа в MAX",
    "privacy_consents": "согласия на обработку данных",
    "audit_log": "записи журнала о ваших действиях",
    "outbox": "сообщения, которые бот вам отправил",
    "inbox": "ваши сообщения и нажатия кнопок, ещё не удалённые",
    "conversation_state": "незаконченные диалоги с ботом",
    "import_confirmations": "загруженные вами таблицы, ждущие подтверждения",
    "imports": "загрузки таблиц, сделанные вами",
}


def backup_name(moment: dt.datetime, suffix: str = ".sqlite3") -> str:
    """The file name of a scheduled backup: sortable by time (`.dump`: a pg_dump copy of PostgreSQL)."""
    return f"{BACKUP_PREFIX}{moment:%Y%m%d-%H%M%S}{suffix}"


def backups_to_delete(names: list[str], keep: int, suffix: str = ".sqlite3") -> list[str]:
    """Scheduled backups beyond the newest `keep` (other files are never touched)."""
    ours = sorted(n for n in names if n.startswith(BACKUP_PREFIX) and n.endswith(suffix))
    return ours[:-keep] if len(ours) > keep else []


class PrivacyService:
    """Export and forget one person (audited), enforce retention, make backups."""

    def __init__(self, stores: PrivacyStores, settings: Settings, clock: Clock | None = None) -> None:
        self._backups = stores.backups
        self._repo = stores.data
        self._audit = stores.audit
        self._consents = stores.consents
        self._settings = settings
        self._clock = clock or SystemClock()

    async def export_person(self, person_id: int, actor: str = "cli") -> dict[str, Any] | None:
        """Everything the bot holds about one person, or None if there is no such person."""
        data = await self._repo.export(person_id)
        if not data:
            return None
        await self._audit.write(actor_vk_id=None, org_id=data["people"][0]["org_id"],
                                action="export_person", outcome="ok", target=str(person_id),
                                details={"by": actor})
        return {"person_id": person_id, "tables": data}

    def terms(self, org_id: str | None) -> PrivacyTerms:
        """The privacy terms for a school (None: someone not identified yet)."""
        return privacy_terms(self._settings, org_id)

    @property
    def consent_in_use(self) -> bool:
        """Whether any school (or the deployment) asks for consent."""
        return self._settings.privacy.consent_required or any(
            s.privacy.consent_required for s in self._settings.schools)

    async def needs_consent(self, account: int | Identity, org_id: str | None) -> PrivacyTerms | None:
        """The terms to accept first, or None when no consent is required or it was given
        (`account`: an identity, or a VK id)."""
        terms = self.terms(org_id)
        messenger, user_id = _account(account)
        if not terms.consent_required or await self._consents.accepted(user_id, terms.version, messenger):
            return None
        return terms

    async def accept(self, account: int | Identity, org_id: str | None, version: str) -> bool:
        """Record that `account` (an identity, or a VK id) accepted the current text; False when
        `version` is not current."""
        terms = self.terms(org_id)
        if version != terms.version:
            return False
        messenger, user_id = _account(account)
        await self._consents.record(user_id, org_id, version, self._clock.now(), messenger)
        await self._audit.write(actor=Identity(messenger=Messenger(messenger), external_id=user_id), org_id=org_id,
                                action="privacy_consent", outcome="ok", target=version)
        return True

    async def my_data(self, person_id: int, account: Identity) -> tuple[str, dict[str, Any]] | None:
        """For «Мои данные»: a short list of what is kept and the full export (audited as asked by `account`)."""
        data = await self.export_person(person_id, actor=f"{account.messenger.value}:{account.external_id}")
        if data is None:
            return None
        tables: dict[str, list[Any]] = data["tables"]
        lines = ["Что бот хранит о вас сейчас:"]
        for table, rows in tables.items():
            lines.append(f"• {TABLE_NAMES.get(table, table)}: {len(rows)}")
        lines.append("Полная выгрузка — в файле JSON ниже. Исправить или удалить данные можно через "
                     "ответственного за Сферум в школе.")
        return "\n".join(lines), data

    async def forget_person(self, person_id: int, actor: str = "cli") -> dict[str, int] | None:
        """Remove one person's data; None if there is no such person."""
        exists, _ = await self._repo.person_vk_id(person_id)
        if not exists:
            return None
        changed = await self._repo.forget(person_id)
        await self._audit.write(actor_vk_id=None, org_id=None, action="forget_person", outcome="ok",
                                target=str(person_id), details={"by": actor, "rows": changed})
        return changed

    async def enforce_retention(self) -> dict[str, int]:
        """The daily job: old statistics and people who left long ago are removed."""
        now = self._clock.now()
        result = {"statistics": 0, "people": 0, "service_rows": 0}
        for school in self._settings.schools:
            cutoff = (now - dt.timedelta(days=school.retention.statistics_days)).date()
            result["statistics"] += await self._repo.delete_statistics_before(school.id, cutoff)
            left_before = now - dt.timedelta(days=school.retention.left_people_days)
            for person_id in await self._repo.expired_people(school.id, left_before):
                await self._repo.forget(person_id)
                result["people"] += 1
        result["service_rows"] = await self._repo.delete_old_service_rows(now - dt.timedelta(days=30))
        if any(result.values()):
            await self._audit.write(actor_vk_id=None, org_id=None, action="retention", outcome="ok",
                                    details=result)
        log.info("retention: %s", result)
        return result

    async def backup(self, target: Path) -> Path:
        """A consistent copy of the live database (SQLite: VACUUM INTO; PostgreSQL: pg_dump)."""
        await self._backups.backup_to(target)
        return target

    async def scheduled_backup(self) -> Path:
        """The daily backup into settings.backup.dir, keeping the newest `keep` copies."""
        folder = self._settings.backup.dir
        suffix = ".dump" if self._backups.dialect == "postgres" else ".sqlite3"
        target = folder / backup_name(self._clock.now(), suffix)
        await self.backup(target)
        for name in backups_to_delete([p.name for p in folder.iterdir()], self._settings.backup.keep, suffix):
            (folder / name).unlink(missing_ok=True)
        return target
