"""Feature handlers in dispatch order: neutral routers and (not converted yet) vkbottle labelers."""

from __future__ import annotations

from collections.abc import Callable

from vkbottle.bot import BotLabeler

from bot.messaging.router import Router


def routers() -> list[Router]:
    """The converted features' neutral routers, in dispatch order (watchers first)."""
    from handlers import (
        broadcast,
        chats,
        commands,
        fallback,
        faq,
        identify,
        imports,
        invites,
        live_counts,
        menu,
        privacy,
        reach,
        reminder_templates,
        summary,
    )

    # privacy right after the watchers: where consent is required, nothing else runs until it is given.
    return [live_counts.router, privacy.router, identify.router, invites.router, menu.router, commands.router, imports.router,
            chats.router, reach.router, broadcast.router, summary.router, reminder_templates.router,
            commands.suggest_router, faq.router, fallback.router]


def labelers(bridge: Callable[[Router], BotLabeler]) -> list[BotLabeler]:
    """Labelers in dispatch order: identification first, the fallback last.

    `bridge` turns a neutral router into a labeler at the same place, so converted and
    not yet converted features keep the order they had.
    """
    from handlers import (
        broadcast,
        chats,
        commands,
        fallback,
        faq,
        identify,
        imports,
        invites,
        live_counts,
        menu,
        privacy,
        reach,
        reminder_templates,
        summary,
    )

    # --- feature labelers go between menu and fallback ---
    # faq stays LAST: its free-text handler takes any private text the others left; just before it,
    # commands.suggest_router asks «Вы имели в виду …?» for a short text that is probably a command.
    # live_counts first: it only counts (a watcher), so every chat message passes it.
    features: list[BotLabeler] = [bridge(live_counts.router), bridge(imports.router), bridge(chats.router),
                                  bridge(reach.router), bridge(broadcast.router), bridge(summary.router),
                                  bridge(reminder_templates.router), bridge(commands.suggest_router),
                                  bridge(faq.router)]
    # privacy comes first: where consent is required, nothing else runs until it is given.
    return [bridge(privacy.router), bridge(identify.router), bridge(invites.router), bridge(menu.router), bridge(commands.router),
            *features, bridge(fallback.router)]
