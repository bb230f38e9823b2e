"""Neutral event models: the private dialog with a person, addressed by their account."""

from __future__ import annotations

from bot.messaging.events import ChatKind, ChatRef, Identity, Messenger


def test_dialog_with_a_person_is_a_private_chat_on_their_messenger() -> None:
    """`ChatRef.dialog_with` keeps the messenger and the id and is never a group chat."""
    chat = ChatRef.dialog_with(Identity(messenger=Messenger.MAX, external_id=42))
    assert chat == ChatRef(messenger=Messenger.MAX, chat_id=42, kind=ChatKind.DIALOG)
    assert not chat.is_group
