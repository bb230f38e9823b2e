"""Why the bot cannot write to someone, in words people read (the codes are VK's; MAX adds its own)."""

from __future__ import annotations

#: VK 901: the person has not allowed messages from the community.
NOT_ALLOWED_901 = "не разрешил(а) сообщения от сообщества"
#: VK 902: the person's privacy settings forbid messages.
PRIVACY_902 = "сообщения запрещены настройками приватности"
