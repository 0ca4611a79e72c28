# `make demo` and `make test` do all the set-up they need (system packages, virtualenv, deps).
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= build/demo

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt scripts/setup-system.sh
	bash scripts/setup-system.sh
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

demo: setup
	$(VENV)/bin/pataudit demo --out $(OUT)

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	eval "$$(bash scripts/start-postgres.sh)" && $(VENV)/bin/pytest -q

bench: setup
	cd bench && ../$(PY) engine_bench.py && ../$(PY) report_bench.py && ../$(PY) aws_collect_bench.py \
		&& ../$(PY) git_collect_bench.py && ../$(PY) gcp_collect_bench.py && ../$(PY) store_bench.py

clean:
	rm -rf build $(VENV)
