# Two commands do everything on a fresh machine (Python 3.11 + pip):
#   make run   - install into .venv and open the teller terminal on the embedded demo defaults
#   make test  - install into .venv (with test extras) and run the whole test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOME_DIR ?= $(CURDIR)/.teller-demo

.PHONY: run test install install-test demo bench lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	@test -f "$(HOME_DIR)/teller.db" || { $(BIN)/teller --home "$(HOME_DIR)" init --demo && \
	  if [ -t 0 ]; then printf '\n위 직원번호와 비밀번호를 적어 두십시오 (한 번만 표시됩니다).\n'; \
	  printf 'Note the staff ids and passwords above (shown once). Enter: open the terminal … '; read _; fi; }
	$(BIN)/teller --home "$(HOME_DIR)" tui

test: install-test
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup

bench: install-test
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(HOME_DIR)
