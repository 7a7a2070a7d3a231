# Everything runs from .venv in the repository, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ARGS ?=

.PHONY: crawl canary demo test expected fixture bench bench-crawl bench-workers bench-render splash chromium redis clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

## crawl: crawl The Cable on foreignpolicy.com into output/ (ARGS="-a since=2024-01-01 ...")
crawl: $(INSTALLED)
	$(BIN)/scrapy crawl cable $(ARGS)

## canary: contracts + a small crawl of the newest index page, field-coverage table; non-zero on a failed rule
## (live site by default; ARGS="-a base_url=http://127.0.0.1:8765" for another copy of it)
canary: $(INSTALLED)
	$(BIN)/python scripts/canary.py $(ARGS)

## demo: serve the offline fixture site on 127.0.0.1 and crawl it into output/
demo: $(INSTALLED)
	$(BIN)/python tests/demo.py $(ARGS)

## test: the whole test suite (unit, page and end-to-end crawls on 127.0.0.1)
test: $(INSTALLED)
	@echo "make test: the rendering tests (tests/test_splash.py, test_playwright.py) install Splash and Chromium from Debian packages (needs root);"
	@echo "  to skip them locally: make test ARGS=\"-m 'not rendering'\" (CI runs them)"
	$(BIN)/python -m pytest $(ARGS)

## expected: rewrite every tests/pages/*/*/expected.json from the current code (then review: git diff tests/pages)
expected: $(INSTALLED)
	$(BIN)/python scripts/regen_expected.py $(ARGS)

## fixture: save a live page as a saved-page test (make fixture URL=https://foreignpolicy.com/... [NAME=dir-name])
fixture: $(INSTALLED)
	@test -n "$(URL)" || { echo "usage: make fixture URL=https://foreignpolicy.com/... [NAME=dir-name]" >&2; exit 2; }
	$(BIN)/python scripts/save_page.py '$(URL)' $(if $(NAME),--name '$(NAME)') $(ARGS)

## bench: all the figures, in one run: bench-crawl, then bench-workers, then bench-render
## (ARGS go to bench-crawl; each part runs alone with its own target)
bench: bench-crawl bench-workers bench-render

## bench-crawl: our crawl vs a bare Scrapy spider, per-page cost vs lxml/parsel/trafilatura/newspaper4k,
## peak RSS 1k vs 10k articles, the incremental re-crawl (ARGS=--quick for a smaller run; the peers:
## $(BIN)/pip install -e '.[bench]', else "not installed")
bench-crawl: $(INSTALLED)
	$(BIN)/python benchmarks/bench.py $(ARGS)

## bench-workers: pages/s of a distributed crawl with 1, 2 and 3 workers through one Redis (scripts/redis.sh)
bench-workers: $(INSTALLED)
	$(BIN)/python benchmarks/bench_workers.py $(if $(filter bench-workers,$(MAKECMDGOALS)),$(ARGS))

## bench-render: pages/s plain, through Splash and through Playwright, and the renderer's memory over a
## 1,000-article crawl (make bench-render ARGS="--articles 100" for a smaller one)
bench-render: $(INSTALLED)
	$(BIN)/python benchmarks/bench_render.py $(if $(filter bench-render,$(MAKECMDGOALS)),$(ARGS))

## chromium: install Debian's Chromium for -a render=playwright (needs root)
chromium:
	bash scripts/chromium.sh install

## splash: install Splash 3.5 (Debian packages, needs root) and start it on 127.0.0.1:8050
splash:
	bash scripts/splash.sh start 8050

## redis: install Debian's redis-server (needs root) and start it on 127.0.0.1:6379, for distributed crawls
redis:
	bash scripts/redis.sh start 6379

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info build .hypothesis
	-bash scripts/splash.sh stop
	-bash scripts/redis.sh stop
