# Thin wrappers around ./dev for those who type make.
.PHONY: demo test lint setup
demo: ; ./dev demo
test: ; ./dev test
setup: ; ./dev setup
lint: setup ; .venv/bin/ruff check . && .venv/bin/ruff format --check .
