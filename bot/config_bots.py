"""The bots of one deployment: the VK communities and the MAX bots one process serves.

The single form (`[vk] token`, `[max] token`) is one bot named `main`; the list form
(`[[vk.communities]]`, `[[max.bots]]`) names each, with its own token (or the environment variable
holding it, `token_env`), and for VK its own group id and rate budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

TOKEN_ENV = "SFERUM_VK__TOKEN"
MAX_TOKEN_ENV = "SFERUM_MAX__TOKEN"
MAX_API_URL = "https://platform-api2.max.ru"
VK_API_URL = "https://api.vk.ru/method/"
# The webhook secret MAX accepts (POST /subscriptions): 5–256 of A–Z a–z 0–9 _ -.
MAX_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{5,256}$")
BOT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# The name of the one bot of the single form ([vk] token, [max] token); also what outbox rows stored
# before bots had names carry: the default bot sends them.
SINGLE_BOT = "main"


class _Section(BaseModel):
    # A typo in config.toml must fail at start, not be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_bot_name(value: str) -> str:
    if not BOT_NAME_RE.match(value):
        raise ValueError("имя бота: латинские строчные буквы, цифры, «-» и «_», до 32 знаков")
    return value


def _check_env_name(value: str | None) -> str | None:
    if value is not None and not ENV_NAME_RE.match(value):
        raise ValueError("имя переменной окружения: латинские заглавные буквы, цифры и «_», например "
                         "SFERUM_VK_NORTH_TOKEN")
    return value


def _unique_names(kind: str, names: list[str]) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"имена {kind} повторяются: {', '.join(dupes)}")


class _VkApi(_Section):
    """What each VK community has of its own: the API address, the token, the id and the rate budget."""

    api_url: str = VK_API_URL
    token: SecretStr = SecretStr("")
    group_id: int = Field(default=0, ge=0)
    rps: int = Field(default=20, ge=1, le=1000)

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("адрес API должен начинаться с http:// или https://")
        return value if value.endswith("/") else value + "/"


class VkCommunity(_VkApi):
    """One of several VK communities served by one process (`[[vk.communities]]`)."""

    name: str
    # The environment variable holding the token (read like SFERUM_VK__TOKEN, --env-file included).
    token_env: str | None = None

    _name = field_validator("name")(_check_bot_name)
    _env = field_validator("token_env")(_check_env_name)


class VkConfig(_VkApi):
    """The bot in VK: one community (`token`, `group_id`) or several (`[[vk.communities]]`)."""

    api_version: str = "5.199"
    wait: int = Field(default=25, ge=1, le=90)
    communities: list[VkCommunity] = []

    @model_validator(mode="after")
    def _list_form(self) -> VkConfig:
        if self.communities:
            if self.token.get_secret_value() or self.group_id:
                raise ValueError("сообщества заданы списком [[vk.communities]]: уберите token и group_id из [vk] "
                                 f"(и переменную {TOKEN_ENV}) — у каждого сообщества в списке свои")
            _unique_names("сообществ", [c.name for c in self.communities])
            for community in self.communities:
                if not community.token.get_secret_value():
                    raise ValueError(f"у сообщества «{community.name}» нет ключа доступа: задайте token или "
                                     "token_env (имя переменной окружения с ключом)")
            ids = [c.group_id for c in self.communities if c.group_id]
            if len(ids) != len(set(ids)):
                raise ValueError("у двух сообществ в [[vk.communities]] один и тот же group_id")
        return self

    def running(self) -> list[VkCommunity]:
        """Every community the bot serves, first the default one; one unnamed entry in the single form
        (none without a token)."""
        if self.communities:
            return list(self.communities)
        if not self.token.get_secret_value():
            return []
        return [VkCommunity(name=SINGLE_BOT, api_url=self.api_url, token=self.token, group_id=self.group_id,
                            rps=self.rps)]


class _MaxApi(_Section):
    """What each MAX bot has of its own: the API address, the token and how updates arrive."""

    api_url: str = MAX_API_URL
    token: SecretStr = SecretStr("")
    mode: Literal["webhook", "polling"] = "polling"
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/max/webhook"
    webhook_secret: SecretStr = SecretStr("")
    # The HTTPS address (port 443) MAX posts to; the reverse proxy forwards it to host:port/path.
    public_url: str = ""

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("адрес API должен начинаться с http:// или https://")
        return value.rstrip("/")

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("путь вебхука должен начинаться с «/», например /max/webhook")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret and not MAX_SECRET_RE.match(secret):
            raise ValueError("секрет вебхука: от 5 до 256 знаков из латинских букв, цифр, «_» и «-»")
        return value

    @model_validator(mode="after")
    def _webhook(self) -> _MaxApi:
        if self.mode == "webhook" and self.token.get_secret_value():
            if not self.webhook_secret.get_secret_value():
                raise ValueError("в режиме webhook задайте webhook_secret: от 5 до 256 знаков из латинских "
                                 "букв, цифр, «_» и «-»")
            # http:// only for a local MAX emulator on this machine.
            if not self.public_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
                raise ValueError("в режиме webhook задайте public_url — адрес https:// на порту 443, "
                                 "куда MAX будет присылать события")
        return self


class MaxBot(_MaxApi):
    """One of several MAX bots served by one process (`[[max.bots]]`)."""

    name: str
    # The environment variable holding the token (read like SFERUM_MAX__TOKEN, --env-file included).
    token_env: str | None = None

    _name = field_validator("name")(_check_bot_name)
    _env = field_validator("token_env")(_check_env_name)


class MaxConfig(_MaxApi):
    """The bot in MAX: runs when `token` is set (or SFERUM_MAX__TOKEN); several bots: `[[max.bots]]`."""

    bots: list[MaxBot] = []

    @model_validator(mode="after")
    def _list_form(self) -> MaxConfig:
        if self.bots:
            if self.token.get_secret_value():
                raise ValueError("боты заданы списком [[max.bots]]: уберите token из [max] "
                                 f"(и переменную {MAX_TOKEN_ENV}) — у каждого бота в списке свой")
            _unique_names("ботов", [b.name for b in self.bots])
            for entry in self.bots:
                if not entry.token.get_secret_value():
                    raise ValueError(f"у бота «{entry.name}» нет ключа доступа: задайте token или token_env "
                                     "(имя переменной окружения с ключом)")
            hooks = [(b.webhook_port, b.webhook_path) for b in self.bots if b.mode == "webhook"]
            if len(hooks) != len(set(hooks)):
                raise ValueError("у двух ботов в режиме webhook одинаковые webhook_port и webhook_path: "
                                 "дайте каждому свой путь")
        return self

    def running(self) -> list[MaxBot]:
        """Every MAX bot the process serves, first the default one; one unnamed entry in the single form
        (none without a token)."""
        if self.bots:
            return list(self.bots)
        if not self.token.get_secret_value():
            return []
        fields = self.model_dump(exclude={"bots"})
        return [MaxBot.model_validate({**fields, "name": SINGLE_BOT})]


def known_as(name: str, first: str) -> tuple[str, ...]:
    """The bot names whose records bot `name` reads, in order: its own, then, for the default (first) bot of
    its messenger, SINGLE_BOT's (what was learnt before bots had names, carried over to it)."""
    return (name, SINGLE_BOT) if name == first and name != SINGLE_BOT else (name,)


def school_bots(bot_of: Callable[[str, str | None], str], messenger: str, org_id: str | None) -> tuple[str, ...]:
    """The bot names whose records count for school `org_id` in `messenger` ("vk" or "max"): the bot the school
    names (`bot_of`, as `Settings.bot_of`), with SINGLE_BOT after it when that is the default bot."""
    return known_as(bot_of(messenger, org_id), bot_of(messenger, None))
