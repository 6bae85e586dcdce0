# Every target goes through dev.py, which sets up .venv itself; see README.md.
PYTHON ?= python3

.PHONY: run up test lint fmt

run up:
	$(PYTHON) dev.py up

test:
	$(PYTHON) dev.py test $(ARGS)

lint:
	$(PYTHON) dev.py lint

fmt:
	$(PYTHON) dev.py fmt
