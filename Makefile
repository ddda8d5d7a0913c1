# cris-guard: the two set-up commands are `make synth` and `make test` (see README.md).
# Both create .venv and node_modules from the pinned files on first use; nothing is installed globally.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CDK    := node_modules/.bin/cdk
CONFIG ?= config/default.yaml
# Access scenarios for CONFIG. The shipped ones describe config/default.yaml; for your own
# configuration write your own directory and pass SCENARIOS=path/to/dir.
DEFAULT_CONFIG := config/default.yaml
SCENARIOS ?= $(if $(filter $(DEFAULT_CONFIG),$(CONFIG)),scenarios,)

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1

.PHONY: synth test checks lint scenarios check-scenarios report scan bench bench-evidence clean setup package-check

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cris-guard needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	# cris-guard itself, editable and without dependencies (the pins above are the ones used): .venv/bin/cris-guard
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## synth: synthesize CONFIG (default config/default.yaml) into cdk.out/ and print a summary
synth: setup
	@$(PY) -m cris_guard check $(CONFIG)
	@rm -rf cdk.out
	$(CDK) synth --no-notices --quiet -c config=$(CONFIG) > /dev/null
	@$(PY) -m cris_guard summary --config $(CONFIG) --assembly cdk.out

## test: the whole test suite, cfn-lint on every synthesized template, and the access scenarios.
## pytest (which synthesizes its own apps) runs while CONFIG is synthesized and checked; the synthesis, lint,
## scenarios and report output is printed after pytest's, and either failing fails `make test`.
test: setup
	@$(PY) -m cris_guard check $(CONFIG)
	@mkdir -p .build
	@$(MAKE) --no-print-directory checks > .build/checks.log 2>&1 & checks=$$!; \
	$(PY) -m pytest -q -n 2; tests=$$?; \
	wait $$checks; checked=$$?; cat .build/checks.log; \
	if [ $$tests -ne 0 ] || [ $$checked -ne 0 ]; then echo "make test: FAILED (pytest exit $$tests, checks exit $$checked)"; exit 1; fi

# What `make test` runs beside pytest: synthesis of CONFIG, its summary, cfn-lint, the scenarios, the report.
checks:
	@rm -rf cdk.out
	$(CDK) synth --no-notices --quiet -c config=$(CONFIG) > /dev/null
	@$(PY) -m cris_guard summary --config $(CONFIG) --assembly cdk.out
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check-scenarios
	$(MAKE) --no-print-directory report

check-scenarios:
ifeq ($(SCENARIOS),)
	@echo "access scenarios: none for $(CONFIG); pass SCENARIOS=path/to/dir (see docs/iam.md)"
else
	$(PY) -m cris_guard scenarios --config $(CONFIG) --scenarios $(SCENARIOS) --assembly cdk.out
endif

# Every template, including those of account Stages (cdk.out/assembly-<account>/).
TEMPLATES = $$(find cdk.out -name '*.template.json' | sort)

lint:
	$(VENV)/bin/cfn-lint --non-zero-exit-code warning --format parseable -- $(TEMPLATES)
	@echo "cfn-lint: $$(find cdk.out -name '*.template.json' | wc -l) templates, no errors"

scenarios: synth check-scenarios

## report: the Markdown review report of cdk.out for pull requests (exit 1 on any failed check or scenario)
report:
	$(PY) -m cris_guard report --config $(CONFIG) --assembly cdk.out $(if $(SCENARIOS),--scenarios $(SCENARIOS),--no-scenarios)

## scan: checkov on every synthesized template of CONFIG (cdk.out, account Stages included), as security teams
## run it; exit 1 on any failed check or unparsable template. checkov pins packages that conflict with ours, so it
## has its own virtual environment (.scan-venv). Not part of `make test`. Skipped checks carry their reason in the
## template (cris_guard/checkov.py) and are listed in the review report.
SCAN_VENV := .scan-venv
SCAN_RESULTS := .build/checkov-results.json

$(SCAN_VENV)/.installed: requirements-scan.txt constraints-scan.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-scan.txt -c constraints-scan.txt
	@touch $@

scan: synth $(SCAN_VENV)/.installed
	@mkdir -p $(dir $(SCAN_RESULTS)) && rm -f $(SCAN_RESULTS)
	@status=0; \
	$(SCAN_VENV)/bin/checkov -d cdk.out --framework cloudformation --compact --quiet --skip-download \
		-o cli -o json --output-file-path console,$(SCAN_RESULTS) || status=$$?; \
	$(SCAN_VENV)/bin/python tools/checkov_gate.py $(SCAN_RESULTS) cdk.out || status=1; \
	exit $$status

## package-check: build the wheel, install it into a clean virtual environment (with the pinned
## dependencies), and prove the packaging: cris-guard --help/check/catalog list, and the example app in
## examples/own-cdk-app synthesized with cdk-nag from the installed wheel (not the source tree).
PKG_VENV := .build/pkg-venv
package-check: setup
	@rm -rf .build dist && mkdir -p .build
	$(PY) -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w dist .
	$(PYTHON) -m venv $(PKG_VENV)
	$(PKG_VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt dist/cris_guard-*.whl
	cd .build && ../$(PKG_VENV)/bin/cris-guard --help > /dev/null
	cd .build && ../$(PKG_VENV)/bin/cris-guard check ../config/default.yaml
	cd .build && ../$(PKG_VENV)/bin/cris-guard catalog list | head -1
	cd .build && ../$(PKG_VENV)/bin/python -c 'import cris_guard, sys; sys.exit(0 if "site-packages" in cris_guard.__file__ else "cris_guard was imported from the source tree, not the wheel")'
	cd examples/own-cdk-app && CDK_OUTDIR=../../.build/own-cdk-app.out ../../$(PKG_VENV)/bin/python app.py
	@echo "package-check: wheel $$(ls dist/*.whl | xargs -n1 basename) installs, runs, and synthesizes examples/own-cdk-app nag-clean"

bench: setup
	$(PY) bench/scale.py

## bench-evidence: cris-guard evidence on generated CloudTrail files against the gzip -dc floor, at two sizes (MB=512,2048)
MB ?= 512,2048
bench-evidence: setup
	$(PY) bench/evidence.py --megabytes $(MB)

clean:
	rm -rf cdk.out .pytest_cache .build dist build
