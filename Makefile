# Two commands on a fresh machine:  make demo  (install + main job)   make test  (install + tests)
PYTHON312 := $(shell p="$${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12.1/bin/python3.12"; if [ -x "$$p" ]; then echo "$$p"; else command -v python3.12 || echo python3.12; fi)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON312) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(STAMP)

demo: install
	@mkdir -p out
	$(BIN)/lstmfuse convert examples/bach-bwv277.krn out/bach-bwv277.musicxml --force
	$(BIN)/lstmfuse info out/bach-bwv277.musicxml

test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) out
