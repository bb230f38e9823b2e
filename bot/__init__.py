"""sferum-bot: a VK community bot that helps a school move its work chats into Сферум."""

__version__ = "0.1.0"
