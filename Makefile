# Two entry points (see README): `make demo` and `make test`. Both build the
# virtual environment first. torch is installed on its own, pinned, before the
# package: a looser requirement makes pip fetch a multi-GB CUDA build.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.tritium-installed

.PHONY: demo test bench clean
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tritium demo

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

bench: $(STAMP)
	$(PY) bench/golden_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
