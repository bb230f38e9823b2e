"""The VK adapter: the only place in bot/ that imports vkbottle (with bot/app.py)."""
