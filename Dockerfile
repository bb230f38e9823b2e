# The sferum-bot image for docker-compose.yml: the package from this checkout on Python 3.11.
FROM python:3.11-slim
WORKDIR /opt/sferum-bot
COPY . /opt/sferum-bot
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/sferum-bot --create-home sferum
USER sferum
WORKDIR /var/lib/sferum-bot
ENTRYPOINT ["sferum-bot"]
CMD ["run", "--config", "/etc/sferum-bot/config.toml"]
