"""A fake messenger on the neutral ports: it records replies and uploads, and knows no VK."""

from __future__ import annotations

from bot.messaging.events import CallbackAnswer, ChatRef, Edit, FileRef, Messenger, OutFile, Reply
from bot.ports import FileTooLarge, PortFailure, RetryLater, Sent


class FakeMessenger:
    """`MessengerPort` in memory: `sent` holds each reply with its uploaded files by name."""

    def __init__(self, messenger: Messenger = Messenger.VK, *, failing_uploads: bool = False) -> None:
        self.messenger = messenger
        self.failing_uploads = failing_uploads
        self.sent: list[Reply] = []
        self.uploads: dict[str, OutFile] = {}
        self.edits: list[Edit] = []
        self.answers: list[CallbackAnswer] = []
        # What `download` returns for a received file, by its `FileRef.ref` (absent: it cannot be fetched).
        self.files: dict[str, bytes] = {}

    async def upload(self, chat: ChatRef, file: OutFile) -> str:
        if self.failing_uploads:
            raise PortFailure("uploads are off")
        handle = f"file{len(self.uploads) + 1}:{file.name}"
        self.uploads[handle] = file
        return handle

    async def download(self, file: FileRef, max_bytes: int) -> bytes:
        data = self.files.get(file.ref)
        if data is None:
            raise RetryLater(f"no file {file.ref}")
        if len(data) > max_bytes:
            raise FileTooLarge(f"{len(data)} bytes")
        return data

    async def send(self, reply: Reply) -> Sent:
        handles, skipped = list(reply.attachments), []
        for file in reply.files:
            try:
                handles.append(await self.upload(reply.chat, file))
            except PortFailure:
                skipped.append(file.name)
        self.sent.append(reply.model_copy(update={"files": (), "attachments": tuple(handles)}))
        return Sent(chat=reply.chat, message_id=len(self.sent), skipped=tuple(skipped))

    async def edit(self, edit: Edit) -> None:
        self.edits.append(edit)

    async def answer(self, answer: CallbackAnswer) -> None:
        self.answers.append(answer)

    def files_of(self, reply: Reply) -> list[OutFile]:
        """The files a recorded reply carries."""
        return [self.uploads[h] for h in reply.attachments]
