# syntax=docker/dockerfile:1
# Fashion Assistant images; docs/deployment.md explains how to run them.
#
# runtime (the default target): the bot with LiteRT and no TensorFlow, run as a non-root user,
# SQLite on the /data volume.
#   docker build -t fashion-assistant .
#   docker run -d --name fashion-assistant -e TELEGRAM_BOT_TOKEN -v fashion-data:/data fashion-assistant
#
# train: TensorFlow and Debian's Fashion-MNIST, to train models into a mounted folder.
#   docker build --target train -t fashion-assistant-train .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/models:/work/models" fashion-assistant-train

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the package (without the train extra) into a virtual environment -----------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY classifier ./classifier
COPY emulator ./emulator
COPY insights ./insights
COPY storage ./storage
# A regular install, not an editable one: the runtime stage copies /opt/venv and nothing from /src.
# Every dependency ships wheels for CPython 3.11 on x86_64 and aarch64. gcc builds the project's
# own C module (classifier/_jpeg_scan.c, the two-thread JPEG reader) in this stage only; the
# Python headers come with the image. Debian's current gcc is taken, as any C99 compiler will do.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir .

# --- runtime: the bot -----------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# FASHION_MODEL is set because the default model path points into the source tree, which a
# regular install does not have. FASHION_WEBHOOK_LISTEN only matters when FASHION_WEBHOOK_URL is
# set: inside a container the reverse proxy connects through the container network.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FASHION_DATABASE=/data/fashion.db \
    FASHION_MODEL=/opt/fashion-assistant/models/fashion.tflite \
    FASHION_WEBHOOK_LISTEN=0.0.0.0

RUN groupadd --system --gid 10001 fashion \
    && useradd --system --uid 10001 --gid fashion --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin fashion \
    && mkdir /data \
    && chown fashion:fashion /data

COPY --from=build /opt/venv /opt/venv
# The model and its card (version and confidence threshold); the .keras file is not needed.
COPY models/fashion.tflite models/fashion.json /opt/fashion-assistant/models/

# Numeric ids, so that Kubernetes' runAsNonRoot can check the user without reading /etc/passwd.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# The webhook server's port (FASHION_WEBHOOK_PORT); long polling needs no open port.
EXPOSE 8443

# `fashion-assistant health` loads the configuration and the model and runs SELECT 1 on the
# database. The start period covers the first start, when the bot creates the database.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["fashion-assistant", "health"]

# SIGTERM (docker stop) lets the photos in flight finish for up to FASHION_SHUTDOWN_TIMEOUT
# seconds (8 by default), under Docker's default 10 second grace period.
ENTRYPOINT ["fashion-assistant"]
CMD ["run"]

# --- train: TensorFlow and Fashion-MNIST for `fashion-assistant train` and `evaluate` ----------
FROM ${PYTHON_IMAGE} AS train

# Debian 12's Fashion-MNIST package installs the four IDX files in /usr/share/datasets/fashion-mnist,
# where classifier.dataset looks by default. gcc builds the C module again below, as in the build stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends dataset-fashion-mnist=0.0~git20200523.55506a9-1 \
        gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*

ENV PATH=/opt/venv/bin:$PATH \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1

COPY --from=build /src /src
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir "/src[train]" \
    && groupadd --system --gid 10001 fashion \
    && useradd --system --uid 10001 --gid fashion --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin fashion \
    && mkdir -p /work/models /work/reports \
    && chown -R fashion:fashion /work

USER 10001:10001
# Relative outputs land here: models/ARCH.{keras,tflite,json} and reports/MODEL/.
WORKDIR /work
ENTRYPOINT ["fashion-assistant"]
CMD ["train", "--arch", "seed"]
