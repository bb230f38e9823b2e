"""Files people send, fetched over HTTP by the messenger adapters with a cap on their size."""

from __future__ import annotations

import ssl

import aiohttp

from bot.ports import FileTooLarge, RetryLater

CHUNK = 256 * 1024
TIMEOUT = aiohttp.ClientTimeout(total=60)


async def fetch(url: str, max_bytes: int, *, context: ssl.SSLContext | None = None) -> bytes:
    """The file's bytes, read in chunks: a lying size cannot fill the memory.

    FileTooLarge past `max_bytes`; RetryLater for a refused or failed request.
    """
    if not url.startswith(("http://", "https://")):
        raise RetryLater("у файла нет адреса для скачивания")
    chunks: list[bytes] = []
    total = 0
    connector = aiohttp.TCPConnector(ssl=context) if context is not None else None
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT, connector=connector) as session, \
                session.get(url) as response:
            if response.status != 200:
                raise RetryLater(f"HTTP {response.status}")
            async for chunk in response.content.iter_chunked(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise FileTooLarge(f"больше {max_bytes} байт")
                chunks.append(chunk)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise RetryLater(type(exc).__name__) from None
    return b"".join(chunks)
