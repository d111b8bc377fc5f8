# Fashion Assistant: the bot with LiteRT and no TensorFlow.
# Build: docker build -t fashion-assistant .
# Run:   docker run -e TELEGRAM_BOT_TOKEN=... -v fashion-data:/data fashion-assistant
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    FASHION_DATABASE=/data/fashion.db \
    FASHION_MODEL=/app/models/seed.tflite

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY classifier ./classifier
COPY storage ./storage
COPY emulator ./emulator
COPY insights ./insights
COPY models ./models
RUN pip install --no-compile . \
    && useradd --system --uid 10001 --home-dir /app fashion \
    && mkdir -p /data && chown fashion /data

USER fashion
VOLUME ["/data"]
ENTRYPOINT ["fashion-assistant"]
CMD ["run"]
