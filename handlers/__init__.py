"""vkbottle labelers, one per feature; the composition root loads them in this order."""

from __future__ import annotations

from vkbottle.bot import BotLabeler


def labelers() -> list[BotLabeler]:
    """Labelers in dispatch order: the consent gate and identification first, the fallback last."""
    from handlers import (
        broadcast,
        chats,
        commands,
        fallback,
        faq,
        identify,
        imports,
        live_counts,
        menu,
        privacy,
        reach,
        reminder_templates,
        summary,
    )

    # --- feature labelers go between menu and fallback ---
    # faq stays LAST: its free-text handler takes any private text the others left; just before it,
    # commands.suggest_labeler asks «Вы имели в виду …?» for a short text that is probably a command.
    # live_counts first: it only counts (blocking=False), so every chat message passes it.
    features: list[BotLabeler] = [live_counts.labeler, imports.labeler, chats.labeler, reach.labeler,
                                  broadcast.labeler, summary.labeler, reminder_templates.labeler,
                                  commands.suggest_labeler, faq.labeler]
    # privacy comes first: where consent is required, nothing else runs until it is given.
    return [privacy.labeler, identify.labeler, menu.labeler, commands.labeler, *features, fallback.labeler]
