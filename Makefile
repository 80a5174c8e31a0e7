# crisisbot: `make run` starts the whole assistant, `make test` runs every test. Both set up what they need.
SHELL := /bin/bash
# Settings from .env when there is one (see .env.example); `make run PORT=9000` overrides it.
ifneq (,$(wildcard .env))
include .env
export
endif
GW := .venv/bin
ENGINE := .venv-rasa/bin
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)

.PHONY: setup run test test-actions test-rasa test-gateway train nlu-eval bench clean

setup:
	@bash scripts/setup.sh

run: setup
	@$(GW)/crisisbot run

train: setup
	@$(GW)/crisisbot train --base

# Every test: the action server's, Rasa's data and conversation tests, then the gateway's and the whole stack's.
test:
	@bash scripts/setup.sh --with-browser
	@$(MAKE) --no-print-directory test-actions test-rasa test-gateway

# The engine environment's tests: the action server (actions/) and the code Rasa loads (engine/).
test-actions:
	$(ENGINE)/python -m pytest tests/actions -q -p no:cacheprovider
	$(ENGINE)/python -m pytest tests/engine -q -p no:cacheprovider

test-rasa: train
	$(ENGINE)/rasa data validate --data nlu/train --domain domain.yml --config config.yml --fail-on-warnings
	$(ENGINE)/rasa test core --e2e --stories tests/conversations --model "$$($(GW)/crisisbot model-path)" \
	  --out results/conversations --fail-on-prediction-errors
	@echo "Conversation tests passed: $$(grep -c '^- story:' tests/conversations/*.yml | awk -F: '{s+=$$2} END {print s}') stories."

test-gateway: train
	$(GW)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

nlu-eval: setup
	@$(GW)/crisisbot nlu-eval

bench: setup train
	@$(GW)/python -m bench

clean:
	rm -rf results .pytest_cache
