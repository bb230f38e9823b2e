"""Feature handlers: one neutral router per feature, in dispatch order."""

from __future__ import annotations

from bot.messaging.router import Router


def routers() -> list[Router]:
    """The features' neutral routers in dispatch order: privacy first, the fallback last.

    The dispatcher runs every matching watcher (live counts, chat codes) first, then the first
    matching handler: faq stays last but for the fallback (its free-text handler takes any private
    text the others left); just before it, `commands.suggest_router` asks «Вы имели в виду …?» for a
    short text that is probably a command.
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
        school_choice,
        summary,
    )

    # privacy right after the watchers: where consent is required, nothing else runs until it is given;
    # then someone on the roster of several schools says which one they act for.
    return [live_counts.router, privacy.router, school_choice.router, identify.router, invites.router, menu.router, commands.router, imports.router,
            chats.router, reach.router, broadcast.router, summary.router, reminder_templates.router,
            commands.suggest_router, faq.router, fallback.router]

