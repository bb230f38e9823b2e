"""Settings: one pydantic model per TOML table, validated at start.

`load_settings(path)` reads a TOML file (or, with no file, the defaults that
`config.example.toml` spells out), lets `SFERUM_VK__TOKEN` override the token
from the environment or from an environment file (`--env-file` or the `env_file` key,
the same file a systemd unit would read) and resolves relative paths against the config
file's folder.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config_bots import (  # noqa: F401 - re-exported: the settings' names live in bot.config
    MAX_API_URL,
    MAX_SECRET_RE,
    MAX_TOKEN_ENV,
    SINGLE_BOT,
    TOKEN_ENV,
    VK_API_URL,
    MaxBot,
    MaxConfig,
    VkCommunity,
    VkConfig,
)
from bot.config_districts import check_officials_districts
from bot.config_errors import describe
from bot.config_table import school_fields

DEFAULT_CONFIG_NAME = "config.toml"
# The monitoring port per process (systemd's sferum-bot@PORT.service sets it to the instance name).
METRICS_PORT_ENV = "SFERUM_METRICS__PORT"

ORG_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REMINDER_RULES = (
    "messages_below_threshold",
    "messages_below_target",
    "no_call",
    "ejd_not_linked",
    "not_registered",
    "chats_not_confirmed",
)


class ConfigError(Exception):
    """A configuration problem, described in one Russian line that names the key."""


class _Section(BaseModel):
    # A typo in config.toml must fail at start, not be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_hhmm(value: str) -> str:
    if not HHMM_RE.match(value):
        raise ValueError("время пишется как ЧЧ:ММ, например 10:00")
    return value


class WeeklyTime(_Section):
    """A weekly moment such as Monday 10:00 in the school's timezone."""

    enabled: bool = True
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    time: str = "10:00"

    _hhmm = field_validator("time")(_check_hhmm)

    @property
    def hour(self) -> int:
        return int(self.time[:2])

    @property
    def minute(self) -> int:
        return int(self.time[3:])


class StorageConfig(_Section):
    data_dir: Path = Path("data")
    database: str = "sferum-bot.sqlite3"
    # PostgreSQL instead of the SQLite file: postgresql://user:password@host:5432/db (or SFERUM_STORAGE__URL).
    url: SecretStr = SecretStr("")

    @field_validator("url")
    @classmethod
    def _postgres(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value().strip()
        if text and not text.startswith(("postgresql://", "postgres://")):
            raise ValueError("адрес базы должен начинаться с postgresql://, например "
                             "postgresql://bot@127.0.0.1:5432/sferum (или уберите url, чтобы работать с файлом SQLite)")
        return SecretStr(text)

    @property
    def database_path(self) -> Path:
        return self.data_dir / self.database

    @property
    def postgres_url(self) -> str | None:
        """The PostgreSQL URL when one is set (else the SQLite file at `database_path` is used)."""
        return self.url.get_secret_value() or None


class MetricsConfig(_Section):
    """The operations endpoint of `run`: /healthz, /readyz and /metrics (Prometheus).

    Off with `enabled = false` or `port = 0`. It is for the machine's own monitoring: keep it on
    127.0.0.1, the reverse proxy forwards only the MAX webhook path.
    """

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=9108, ge=0, le=65535)

    @property
    def on(self) -> bool:
        """Whether `run` serves the endpoint."""
        return self.enabled and self.port != 0


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["plain", "json"] = "plain"


class ThresholdsConfig(_Section):
    messages: int = Field(default=3, ge=1)
    messages_target: int = Field(default=10, ge=1)
    calls: int = Field(default=1, ge=1)


class ReminderRules(_Section):
    messages_below_threshold: bool = True
    messages_below_target: bool = False
    no_call: bool = False
    ejd_not_linked: bool = True
    not_registered: bool = True
    chats_not_confirmed: bool = True

    def enabled(self) -> list[str]:
        """Codes of the rules switched on, in a fixed order."""
        return [code for code in REMINDER_RULES if getattr(self, code)]


class QuietHours(_Section):
    start: str = "20:00"
    end: str = "08:00"
    weekends: bool = True

    _hhmm = field_validator("start", "end")(_check_hhmm)


class ScheduleConfig(_Section):
    reminders: WeeklyTime = WeeklyTime(day="mon", time="10:00")
    midweek_nudge: WeeklyTime = WeeklyTime(enabled=False, day="wed", time="15:00")
    missing_import_check: WeeklyTime = WeeklyTime(day="mon", time="09:00")
    weekly_summary: bool = True
    quiet_hours: QuietHours = QuietHours()


class RetentionConfig(_Section):
    statistics_days: int = Field(default=730, ge=30)
    left_people_days: int = Field(default=365, ge=30)


def _check_url(value: str | None) -> str | None:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("ссылка начинается с https:// (или http://)")
    return value


class PrivacyConfig(_Section):
    """The personal-data operator, its policy and consent: the deployment's default."""

    operator: str = ""
    policy_url: str = ""
    consent_required: bool = False
    consent_file: Path | None = None

    _url = field_validator("policy_url")(_check_url)


class SchoolPrivacyConfig(_Section):
    """A school's own operator, policy or consent; what is not set comes from [privacy]."""

    operator: str | None = None
    policy_url: str | None = None
    consent_required: bool | None = None
    consent_file: Path | None = None

    _url = field_validator("policy_url")(_check_url)


class ChatKind(_Section):
    id: str
    title: str
    per_class: bool = False
    roles: list[Literal["teacher", "staff", "deputy", "director"]] = []


class MigrationConfig(_Section):
    # Where work chats move: Сферум lives inside MAX since late 2025, so MAX unless a school says "sferum".
    messenger: Literal["sferum", "max"] = "max"
    subject_teachers_chat: bool = False
    extra_kinds: list[ChatKind] = []


class SchoolConfig(_Section):
    id: str = "school1"
    name: str = "Школа"
    timezone: str = "Europe/Moscow"
    director_vk_id: int | None = Field(default=None, gt=0)
    deputy_vk_ids: list[int] = []
    director_max_id: int | None = Field(default=None, gt=0)
    deputy_max_ids: list[int] = []
    registration_deadline: dt.date | None = None
    inn: str | None = None
    #: The district (municipality) the school belongs to: a district official sees only its schools.
    district: str | None = None
    #: The VK community and the MAX bot (names from [[vk.communities]] / [[max.bots]]) that write to the
    #: school's people; unset: the first one.
    vk_community: str | None = None
    max_bot: str | None = None
    faq_file: Path | None = None
    #: The messenger the school works in: picks the variant of the FAQ answers where the
    #: steps differ (the CLI's default; in the chat the asker's own messenger decides).
    messenger_preference: Literal["max", "vk"] = "max"
    store_contacts: bool = False
    intent: Literal["default", "confirmed_notification", "non_promo_newsletter"] = "default"
    reminders: ReminderRules = ReminderRules()
    schedule: ScheduleConfig = ScheduleConfig()
    retention: RetentionConfig = RetentionConfig()
    migration: MigrationConfig = MigrationConfig()
    privacy: SchoolPrivacyConfig = SchoolPrivacyConfig()

    @field_validator("id")
    @classmethod
    def _org_id(cls, value: str) -> str:
        if not ORG_ID_RE.match(value):
            raise ValueError("id школы: латинские строчные буквы, цифры, «-» и «_», до 32 знаков")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"неизвестный часовой пояс «{value}», пример: Europe/Moscow") from None
        return value

    @field_validator("deputy_vk_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(v <= 0 for v in value):
            raise ValueError("id ВКонтакте — положительные числа")
        return value

    @field_validator("deputy_max_ids")
    @classmethod
    def _max_ids(cls, value: list[int]) -> list[int]:
        if any(v <= 0 for v in value):
            raise ValueError("id в MAX — положительные числа")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DistrictOfficials(_Section):
    """Officials bound to one district: they see only the schools whose `district` is this one."""

    district: str
    vk_ids: list[int] = []
    max_ids: list[int] = []


class DistrictConfig(_Section):
    """The deployment's education authority: `official_*_ids` see every school (the region);
    the `officials` entries are bound to one district each."""

    name: str = "Район"
    official_vk_ids: list[int] = []
    official_max_ids: list[int] = []
    officials: list[DistrictOfficials] = []

    def bound_district(self, messenger: str, external_id: int) -> str | None:
        """The district an official of `messenger` ("vk" or "max") is bound to; None: the whole region."""
        for entry in self.officials:
            if external_id in (entry.vk_ids if messenger == "vk" else entry.max_ids):
                return entry.district
        return None


class ImportsConfig(_Section):
    max_file_mb: float = Field(default=20, gt=0)
    max_rows: int = Field(default=200_000, ge=1)
    max_unzipped_mb: float = Field(default=200, gt=0)
    max_cells: int = Field(default=2_000_000, ge=1)
    header_aliases: dict[str, list[str]] = {}


class FairnessConfig(_Section):
    """How fast one person's private messages are handled before they are throttled.

    Each person may send `burst` messages at once, then one every `interval_s` seconds;
    what comes faster waits and is collapsed to the latest message (and button press).
    """

    enabled: bool = True
    burst: int = Field(default=5, ge=1, le=1000)
    interval_s: float = Field(default=2.0, gt=0, le=600)


class BackupConfig(_Section):
    enabled: bool = True
    dir: Path = Path("backups")
    time: str = "03:00"
    keep: int = Field(default=7, ge=1)

    _hhmm = field_validator("time")(_check_hhmm)


class Settings(_Section):
    """The whole configuration of one deployment (its VK communities and MAX bots, its schools)."""

    vk: VkConfig = VkConfig()
    max: MaxConfig = MaxConfig()
    storage: StorageConfig = StorageConfig()
    logging: LoggingConfig = LoggingConfig()
    thresholds: ThresholdsConfig = ThresholdsConfig()
    imports: ImportsConfig = ImportsConfig()
    fairness: FairnessConfig = FairnessConfig()
    backup: BackupConfig = BackupConfig()
    metrics: MetricsConfig = MetricsConfig()
    district: DistrictConfig = DistrictConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    schools: list[SchoolConfig] = Field(default_factory=lambda: [SchoolConfig()], min_length=1)
    # A file of NAME=value lines (SFERUM_VK__TOKEN=...) read like the environment; --env-file wins.
    env_file: Path | None = None
    # Where the file came from; relative paths were resolved against its folder.
    source: Path | None = Field(default=None, exclude=True)
    # False when the file has no [[schools]]: its one school is a placeholder that table schools replace.
    _schools_in_config: bool = PrivateAttr(default=True)
    # The config's own schools, once table schools joined them (with_table_schools).
    _config_schools: list[SchoolConfig] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _officials_districts(self) -> Settings:
        # Without [[schools]] the schools (and their districts) come from the table: checked when it joins.
        if "schools" in self.model_fields_set:
            check_officials_districts(self.district.officials, self.schools)
        return self

    @model_validator(mode="after")
    def _schools_bots(self) -> Settings:
        for kind, names, pick in (("сообщества", [c.name for c in self.vk.communities], "vk_community"),
                                  ("бота", [b.name for b in self.max.bots], "max_bot")):
            for school in self.schools:
                wanted = getattr(school, pick)
                if wanted is not None and wanted not in names:
                    listed = ", ".join(names) or "список пуст"
                    section = "[[vk.communities]]" if pick == "vk_community" else "[[max.bots]]"
                    raise ValueError(f"у школы «{school.id}» {pick} = «{wanted}», а такого {kind} нет в {section} "
                                     f"(есть: {listed})")
        return self

    def bot_of(self, messenger: str, org_id: str | None) -> str:
        """The bot of `messenger` ("vk"/"max") that writes to a school's people: the one the school names (even
        one not configured any more: `bot.missing_bots`), else the first (SINGLE_BOT when none runs)."""
        if messenger == "vk":
            names = [c.name for c in self.vk.running()]
        else:
            names = [b.name for b in self.max.running()]
        school = next((s for s in self.schools if s.id == org_id), None)
        wanted = None if school is None else (school.vk_community if messenger == "vk" else school.max_bot)
        return wanted if wanted is not None else (names[0] if names else SINGLE_BOT)

    @field_validator("schools")
    @classmethod
    def _unique(cls, value: list[SchoolConfig]) -> list[SchoolConfig]:
        ids = [s.id for s in value]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"id школ повторяются: {', '.join(dupes)}")
        return value

    def with_table_schools(self, records: list[dict[str, Any]]) -> Settings:
        """These settings with the schools loaded from a table (`import-schools`) added.

        The one answer to «which schools exist»: the config's schools, then the table's; a table school replaces
        a config school with the same id in its place, keeping its schedule but the table's reminder time."""
        config = self._config_schools if self._config_schools is not None else list(self.schools)
        if not records and self._config_schools is None:
            return self
        own = {s.id: s.schedule.model_dump() for s in config if self._schools_in_config}
        try:
            table = [SchoolConfig.model_validate(school_fields(r, own.get(r.get("id", "")))) for r in records]
        except ValidationError as error:
            raise ConfigError(f"школы из таблицы (import-schools): {describe(error)}") from None
        by_id = {s.id: s for s in table}
        # A config without [[schools]] has only the placeholder school: the table replaces it.
        merged = [by_id.pop(s.id, s) for s in (config if self._schools_in_config or not table else [])]
        merged += [s for s in table if s.id in by_id]
        try:
            check_officials_districts(self.district.officials, merged)
        except ValueError as error:
            raise ConfigError(f"школы из таблицы (import-schools): {error}") from None
        result = self.model_copy(update={"schools": merged})
        result._config_schools = config
        return result

    def refresh_table_schools(self, records: list[dict[str, Any]]) -> bool:
        """Take the table's schools as they are now (a running bot after `import-schools`); True when changed.
        In place: every copy the services hold (`model_copy` shares the list) sees them. May raise ConfigError."""
        merged = self.with_table_schools(records).schools
        if merged == self.schools:
            return False
        if self._config_schools is None:
            self._config_schools = list(self.schools)
        self.schools[:] = merged
        return True

    @property
    def token(self) -> str:
        """The token of the default VK community ("" when VK does not run)."""
        bots = self.vk.running()
        return bots[0].token.get_secret_value() if bots else ""

    @property
    def max_token(self) -> str:
        """The token of the default MAX bot ("" when MAX does not run)."""
        bots = self.max.running()
        return bots[0].token.get_secret_value() if bots else ""

    def for_bot(self, vk: VkCommunity | None = None, max_bot: MaxBot | None = None) -> Settings:
        """These settings as one bot of several sees them: its fields as [vk]'s (or [max]'s), the single form."""
        update: dict[str, Any] = {}
        if vk is not None:
            update["vk"] = self.vk.model_copy(update={"token": vk.token, "group_id": vk.group_id,
                                                      "api_url": vk.api_url, "rps": vk.rps, "communities": []})
        if max_bot is not None:
            update["max"] = MaxConfig.model_validate(max_bot.model_dump(exclude={"name", "token_env"}))
        return self.model_copy(update=update)

    def first_bots(self) -> Settings:
        """These settings as the first VK community and MAX bot see them (`for_bot`)."""
        return self.for_bot(vk=self.vk.running()[0] if self.vk.communities else None,
                            max_bot=self.max.running()[0] if self.max.bots else None)

    def school(self, org_id: str | None = None) -> SchoolConfig:
        """The school named by `org_id`, or the only one; ConfigError otherwise."""
        if org_id is None:
            if len(self.schools) == 1:
                return self.schools[0]
            ids = ", ".join(s.id for s in self.schools)
            raise ConfigError(f"в настройках несколько школ ({ids}): укажите --org")
        for school in self.schools:
            if school.id == org_id:
                return school
        ids = ", ".join(s.id for s in self.schools)
        raise ConfigError(f"школы «{org_id}» нет в настройках; есть: {ids}")


def _resolve(base: Path, path: Path | None) -> Path | None:
    if path is None or path.is_absolute():
        return path
    return (base / path).resolve()


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of an environment file (`NAME=value` lines, `#` comments), as systemd's
    EnvironmentFile reads them. Raises ConfigError naming the file and, for bad syntax, the line."""
    from dotenv.parser import parse_stream

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"файл с переменными окружения {path} не найден") from None
    except PermissionError:
        raise ConfigError(
            f"файл с переменными окружения {path} не читается: нет прав. Он должен принадлежать "
            f"root:sferum с правами 640: sudo chown root:sferum {path} && sudo chmod 640 {path}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"файл с переменными окружения {path} не читается: {exc}") from None
    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise ConfigError(f"{path}, строка {binding.original.line}: ожидается ИМЯ=значение")
        if binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
    return values


def _tokens_from_env(data: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    """`token_env` of each [[vk.communities]] and [[max.bots]] entry replaced by that variable's value."""
    for section, key in (("vk", "communities"), ("max", "bots")):
        table = data.get(section)
        if not isinstance(table, dict) or not isinstance(table.get(key), list):
            continue
        entries = table[key]
        filled = []
        for entry in entries:
            name = entry.get("token_env") if isinstance(entry, dict) else None
            if isinstance(name, str) and environ.get(name):
                entry = {**entry, "token": environ[name]}
            filled.append(entry)
        data = {**data, section: {**table, key: filled}}
    return data


def parse_settings(data: dict[str, Any], base_dir: Path, source: Path | None = None,
                   env_file: Path | None = None) -> Settings:
    """Validate raw TOML data; paths resolve against `base_dir`. Raises ConfigError.

    The token comes from the environment, else from the environment file (`env_file`, else the
    data's `env_file` key), else from the data."""
    if env_file is None and isinstance(data.get("env_file"), str):
        env_file = _resolve(base_dir, Path(data["env_file"]))
    environ = {**(read_env_file(env_file) if env_file is not None else {}), **os.environ}
    token = environ.get(TOKEN_ENV)
    if token:
        data = {**data, "vk": {**data.get("vk", {}), "token": token}}
    max_token = environ.get(MAX_TOKEN_ENV)
    if max_token:
        data = {**data, "max": {**data.get("max", {}), "token": max_token}}
    data = _tokens_from_env(data, environ)
    metrics_port = environ.get(METRICS_PORT_ENV)
    if metrics_port:
        data = {**data, "metrics": {**data.get("metrics", {}), "port": metrics_port}}
    try:
        settings = Settings.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
    storage = settings.storage.model_copy(
        update={"data_dir": _resolve(base_dir, settings.storage.data_dir)}
    )
    backup = settings.backup.model_copy(update={"dir": _resolve(storage.data_dir, settings.backup.dir)})
    schools = [
        s.model_copy(update={
            "faq_file": _resolve(base_dir, s.faq_file),
            "privacy": s.privacy.model_copy(
                update={"consent_file": _resolve(base_dir, s.privacy.consent_file)}),
        })
        for s in settings.schools
    ]
    privacy = settings.privacy.model_copy(
        update={"consent_file": _resolve(base_dir, settings.privacy.consent_file)})
    result = settings.model_copy(update={"storage": storage, "backup": backup, "schools": schools,
                                         "privacy": privacy, "env_file": env_file})
    result._schools_in_config = "schools" in data
    return result


def load_settings(path: Path | str | None = None, env_file: Path | str | None = None) -> Settings:
    """Load settings from `path`, else ./config.toml, else the built-in defaults; `env_file`
    (else the config's `env_file` key) supplies environment variables such as the token.

    The built-in defaults are exactly what `config.example.toml` says; a test keeps
    the two in step. Raises ConfigError with one Russian line naming the key.
    """
    env_path = Path(env_file) if env_file is not None else None
    if path is None:
        candidate = Path(DEFAULT_CONFIG_NAME)
        if not candidate.exists():
            return parse_settings({}, Path.cwd(), env_file=env_path)
        path = candidate
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"файл настроек {path} не найден") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"файл настроек {path} не читается: {exc}") from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: ошибка в синтаксисе TOML: {exc}") from None
    return parse_settings(data, path.resolve().parent, source=path.resolve(), env_file=env_path)
