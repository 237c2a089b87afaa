# Two commands on a fresh machine:  make demo  (install + main job)   make test  (install + tests)
PYTHON312 := $(shell p="$${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12.1/bin/python3.12"; if [ -x "$$p" ]; then echo "$$p"; else command -v python3.12 || echo python3.12; fi)
VENV := .venv
BIN := $(VENV)/bin
BASE := $(VENV)/.installed-base
FULL := $(VENV)/.installed-test
PYTEST_ARGS ?=

.PHONY: install install-test demo test clean

# The runtime needs no TensorFlow (inference is NumPy); training and the tests do.
$(BASE): pyproject.toml
	$(PYTHON312) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(FULL): $(BASE)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BASE)
install-test: $(FULL)

demo: install
	@mkdir -p out
	$(BIN)/lstmfuse fuse --weights irish=0.6,folk=0.4 --seed-file examples/oneills-0001.musicxml --bars 8 --seed 1 -o out/demo-fused.musicxml --png --force
	$(BIN)/lstmfuse metrics out/demo-fused.musicxml --against irish --from-bar 26

test: install-test
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) out
