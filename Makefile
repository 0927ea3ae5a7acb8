# The two commands of the README. Both create .venv on first use and install the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres bench demo clean lint package package-smoke

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/stopsearch-app --demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/lint-imports

# The same suite on a throwaway PostgreSQL server (needs Debian's postgresql package).
test-postgres: $(STAMP)
	tools/with-postgres env QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench $(BENCH_ARGS)

demo: $(STAMP)
	$(BIN)/stopsearch demo

# The standalone bundle (no Python needed where it runs): dist/stopsearch/ (see packaging/README.md).
PACKAGE_STAMP := $(VENV)/.installed-package
$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,postgres,package]'
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
	    packaging/stopsearch.spec
	@du -sh dist/stopsearch

# The bundle with no venv and a bare PATH: its CLI builds the demo database, its app opens its window
# offscreen and saves a screenshot.
package-smoke: package
	tools/package-smoke dist/stopsearch

clean:
	rm -rf $(VENV) build dist
