"""Importing the roster and the weekly statistics: the service and its parts.

`service` is the use case the CLI and the chat call; `plan` is the generic «plan, then apply»
shape any import reuses; `orgs`, `roster`, `stats`, `record` and `resolver` are its parts.
"""

from bot.services.imports.plan import Mode, Outcome, Preview
from bot.services.imports.resolver import ScreenNameResolver, vk_screen_name_resolver
from bot.services.imports.service import AlreadyClosed, ImportResult, ImportService, limits_of
from bot.stores.imports import ImportConfirmation

__all__ = ["AlreadyClosed", "ImportConfirmation", "ImportResult", "ImportService", "Mode", "Outcome", "Preview", "ScreenNameResolver", "limits_of",
           "vk_screen_name_resolver"]
