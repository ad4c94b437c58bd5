# The two commands of the quick start are `make run` and `make test`; each installs what it needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Node 22 from package.json (the npm registry's `node` package) before the machine's own Node, whatever it is:
# the CDK command line, jsii under the CDK app, and the tests all run on it. The virtual environment's tools
# (wom, aws) come first, as the README's commands expect.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: install run test unit synth deploy-local bench wom-js clean node-version

install: $(STAMP) node_modules/.installed

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: install
	$(VENV)/bin/wom run

test: install
	$(PY) -m pytest

unit: install
	$(PY) -m pytest tests/unit

synth: install
	npx cdk synth --quiet

deploy-local: install
	$(PY) -m local.deploy_rehearsal

# Measures the SPEC §8 budgets on this machine and rewrites BENCHMARKS.md (a few minutes; asserts nothing).
bench: install
	$(PY) -m bench

# Rebuilds the served storefront script (shared/tracking/static/*.min.js) from web/*.js; commit the result.
wom-js: node_modules/.installed
	node web/build.mjs

clean:
	rm -rf $(VENV) node_modules cdk.out

# Which Node the targets above run on (a test holds it to package.json's).
node-version: node_modules/.installed
	@node --version
