# Atrium — every step a developer or CI needs. `make run` and `make test` install what is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Builds live outside the clone so that a fresh clone rebuilds incrementally.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/atrium/target
WASM_BINDGEN_VERSION := 0.2.130
TOOLS_DIR := $(HOME)/.cache/atrium/tools
NPM_BIN := $(CURDIR)/end2end/node_modules/.bin
BIND ?= 127.0.0.1:3000
DATA_DIR ?= ./data
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export ATRIUM_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test
CHROMIUM ?= /usr/bin/chromium

DEBUG_DIR := $(CARGO_TARGET_DIR)/debug
RELEASE_DIR := $(CARGO_TARGET_DIR)/release
WASM_DEBUG := $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/debug/frontend.wasm
WASM_RELEASE := $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/wasm-release/frontend.wasm
WASM_SPLIT := $(RELEASE_DIR)/wasm-split
# wasm-opt's output for each input (and binaryen release), so an unchanged bundle is not optimised again.
WASM_OPT_CACHE := $(CARGO_TARGET_DIR)/wasm-opt-cache
WASM_OPT_FLAGS := -Oz --converge --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals

.PHONY: help run build dev tools tools-rust tools-npm tools-browser tools-compress tools-split test fmt-check clippy unit store-tests e2e bench site-debug site-release clean sdk-venv s3-venv smtp-venv fuzz

help:
	@echo "make run    build (release) and start Atrium on $(BIND); prints the URL and the first admin's set-up link"
	@echo "make test   fmt, clippy (server and wasm), unit, store and invitation suites on SQLite and PostgreSQL (with a real SMTP server), HTTP tests, Playwright"
	@echo "make build  release binary and site in ./dist (runs from any directory)"
	@echo "make dev    debug build and start (faster to rebuild)"
	@echo "make bench  benchmarks, written to BENCHMARKS.md"
	@echo "make fuzz   fuzz vault parsing for FUZZ_SECONDS (default 120); findings land in app/fuzz/artifacts"

## ---------- tools (installed only when missing) ----------
tools: tools-rust tools-npm

# C libraries the server links: xmlsec and libxml2 (SAML signatures, through samael, whose bindings
# bindgen makes with libclang) and OpenSSL.
NATIVE_PACKAGES := libxmlsec1-dev libxml2-dev libssl-dev pkg-config clang libclang-dev
tools-rust:
	@dpkg -s $(NATIVE_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(NATIVE_PACKAGES) >/dev/null; }
	@rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  cargo install --locked wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) || { \
	    echo "its lock file names a webpki-roots release the registry no longer has: building from its source with 1.0.10"; \
	    src=$$(mktemp -d); \
	    reg=$$(ls -d $(HOME)/.cargo/registry/src/*/wasm-bindgen-cli-$(WASM_BINDGEN_VERSION) | head -1); \
	    cp -r $$reg $$src/cli && cd $$src/cli && cargo update -p webpki-roots --precise 1.0.10 && cargo install --locked --path .; }; \
	fi

tools-npm:
	@cd end2end && { [ -x node_modules/.bin/playwright ] && [ -x node_modules/.bin/wasm-opt ] && [ -f node_modules/axe-core/axe.min.js ] && [ -f node_modules/oidc-provider/package.json ] && [ -f node_modules/saml-idp/package.json ]; } || npm ci --no-audit --no-fund

# Debian's brotli and gzip compress the site's files at build time.
tools-compress:
	@command -v brotli >/dev/null && command -v gzip >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli gzip >/dev/null; }

# The bundle's split and naming steps (tools/wasm-split), built like the rest of the workspace.
tools-split:
	cargo build -p wasm-split --release

tools-browser:
	@[ -x $(CHROMIUM) ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Python venv with the real ClearML SDK, for end2end/sdk/check_sdk.py (created only when missing or outdated).
SDK_VENV := $(HOME)/.cache/atrium/venv
CLEARML_VERSION := 2.1.12
CLEARML_AGENT_VERSION := 3.0.3
sdk-venv:
	@$(SDK_VENV)/bin/python -c "import clearml, importlib.metadata as m; assert clearml.__version__ == '$(CLEARML_VERSION)'; assert m.version('clearml-agent') == '$(CLEARML_AGENT_VERSION)'" 2>/dev/null || { \
	  echo "creating $(SDK_VENV) with clearml==$(CLEARML_VERSION) and clearml-agent==$(CLEARML_AGENT_VERSION)"; \
	  python3 -m venv $(SDK_VENV) && $(SDK_VENV)/bin/pip install -q --disable-pip-version-check clearml==$(CLEARML_VERSION) clearml-agent==$(CLEARML_AGENT_VERSION); }

# Python venv with moto's S3-compatible server, for end2end/tests/cloud-access.spec.ts (presigned links
# fetched from a real S3 API on loopback) and the file server's bucket backend (server/tests/store and
# http files tests, end2end/tests/files-sdk.spec.ts); created only when missing or outdated.
S3_VENV := $(HOME)/.cache/atrium/s3venv
MOTO_VERSION := 5.2.5
s3-venv:
	@$(S3_VENV)/bin/python -c "import moto, flask; assert moto.__version__ == '$(MOTO_VERSION)'" 2>/dev/null && [ -x $(S3_VENV)/bin/moto_server ] || { \
	  echo "creating $(S3_VENV) with moto[server]==$(MOTO_VERSION)"; \
	  python3 -m venv $(S3_VENV) && $(S3_VENV)/bin/pip install -q --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'; }

# Python venv with aiosmtpd, a real SMTP server the invitation tests (server/tests/invitations.rs)
# start on loopback; created only when missing or outdated.
SMTP_VENV := $(HOME)/.cache/atrium/smtpvenv
AIOSMTPD_VERSION := 1.4.6
smtp-venv:
	@$(SMTP_VENV)/bin/python -c "import aiosmtpd; assert aiosmtpd.__version__ == '$(AIOSMTPD_VERSION)'" 2>/dev/null || { \
	  echo "creating $(SMTP_VENV) with aiosmtpd==$(AIOSMTPD_VERSION)"; \
	  python3 -m venv $(SMTP_VENV) && $(SMTP_VENV)/bin/pip install -q --disable-pip-version-check 'aiosmtpd==$(AIOSMTPD_VERSION)'; }

## ---------- build ----------
# The site folder's last step, for $(1) (the site folder) with brotli quality $(2) and gzip level $(3):
# the stylesheet and public files are copied in; the bundle's files are renamed after their content
# (atrium.<hash>.js/.wasm/.css, the loader __wasm_split.<hash>.js and the chunks <name>.<hash>.wasm)
# and the names written to hash.txt, which the server reads; every file gets brotli and gzip copies
# beside it (.br, .gz) for the server to send as they are.
define finish_site
	@cp style/main.css $(1)/pkg/atrium.css && cp -r public/. $(1)/
	$(WASM_SPLIT) hash $(1)
	@shopt -s nullglob; cd $(1) && for f in pkg/*.js pkg/*.wasm pkg/*.css *.svg; do \
	  brotli -f -q $(2) -o $$f.br $$f && gzip -f -k -n -$(3) $$f; done
	@cd $(1)/pkg && ls -l *.js *.wasm *.css | awk '{ printf "  %10d  %s\n", $$5, $$9 }'
endef

# The browser bundle: wasm → split → wasm-bindgen → pkg/, plus the stylesheet and public files, beside
# the binary. The split step cuts the settings console (the `#[lazy_route]`s of
# app/src/pages/settings/routes.rs) out of the main module into chunks loaded when first shown;
# wasm-bindgen then keeps the symbols the chunks import from the main module.
site-debug: tools-rust tools-compress tools-split
	cargo build -p frontend --target wasm32-unknown-unknown
	@rm -rf $(DEBUG_DIR)/site/pkg && mkdir -p $(DEBUG_DIR)/site/pkg
	$(WASM_SPLIT) split $(WASM_DEBUG) $(DEBUG_DIR)/site/pkg $(WASM_DEBUG:.wasm=_main.wasm)
	wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-dir $(DEBUG_DIR)/site/pkg --out-name atrium $(WASM_DEBUG:.wasm=_main.wasm)
	$(call finish_site,$(DEBUG_DIR)/site,4,4)

# wasm-opt shrinks the main module and every chunk; it does not read the label names the chunks
# carry (it drops them anyway) and would warn about that once per chunk.
site-release: tools tools-compress tools-split
	cargo build -p frontend --target wasm32-unknown-unknown --profile wasm-release
	@rm -rf $(RELEASE_DIR)/site/pkg && mkdir -p $(RELEASE_DIR)/site/pkg
	$(WASM_SPLIT) split $(WASM_RELEASE) $(RELEASE_DIR)/site/pkg $(WASM_RELEASE:.wasm=_main.wasm)
	wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-dir $(RELEASE_DIR)/site/pkg --out-name atrium $(WASM_RELEASE:.wasm=_main.wasm)
	@mkdir -p $(WASM_OPT_CACHE); for f in $(RELEASE_DIR)/site/pkg/*.wasm; do \
	  key=$$({ cat $$f $(NPM_BIN)/../binaryen/package.json; echo '$(WASM_OPT_FLAGS)'; } | sha256sum | cut -c1-32); \
	  if [ -f $(WASM_OPT_CACHE)/$$key.wasm ]; then cp $(WASM_OPT_CACHE)/$$key.wasm $$f; touch $(WASM_OPT_CACHE)/$$key.wasm; echo "wasm-opt: $$(basename $$f) unchanged, optimised copy reused"; \
	  else $(NPM_BIN)/wasm-opt $(WASM_OPT_FLAGS) $$f -o $$f.opt 2>&1 | sed '/^warning: unknown name subsection/d'; mv $$f.opt $$f; cp $$f $(WASM_OPT_CACHE)/$$key.wasm; fi; done
	@find $(WASM_OPT_CACHE) -name '*.wasm' -mtime +7 -delete
	$(call finish_site,$(RELEASE_DIR)/site,11,9)

build: site-release
	cargo build -p server --release
	@rm -rf dist && mkdir -p dist && cp $(RELEASE_DIR)/atrium dist/ && cp -r $(RELEASE_DIR)/site dist/site
	@echo "dist/atrium is ready (site assets in dist/site)."

run: build
	./dist/atrium serve --bind $(BIND) --data-dir $(DATA_DIR)

dev: site-debug
	cargo build -p server
	$(DEBUG_DIR)/atrium serve --bind $(BIND) --data-dir $(DATA_DIR)

## ---------- tests ----------
test: fmt-check clippy unit store-tests e2e
	@echo "make test: all suites passed"

fmt-check:
	cargo fmt --all -- --check

clippy: tools-rust
	cargo clippy -p app -p server -p wasm-split --features app/ssr --all-targets -- -D warnings
	cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test -p app --lib
	cargo test -p app --lib --features ssr -- services::billing mail::
	cargo test -p server --lib

# Every integration test of the server crate: the store suite, invitations (with a real SMTP server on
# loopback) and the concurrency test on SQLite and PostgreSQL, HTTP and REST tests in process, and the
# kill -9 durability test against the binary; the file server's bucket backend against moto's S3 server.
store-tests: smtp-venv s3-venv
	ATRIUM_SMTP_PYTHON=$(SMTP_VENV)/bin/python ATRIUM_S3_VENV=$(S3_VENV) cargo test -p server --tests

# The specs run the debug server and bundle; the transfer budget (tests/budget.spec.ts) is measured on
# the release bundle, which the same debug server serves from its own folder.
e2e: tools tools-browser sdk-venv s3-venv site-debug site-release
	cargo build -p server
	cd end2end && ATRIUM_BIN=$(DEBUG_DIR)/atrium ATRIUM_RELEASE_SITE=$(RELEASE_DIR)/site CHROMIUM=$(CHROMIUM) $(NPM_BIN)/playwright test

# Vault parsing under libFuzzer and AddressSanitizer (cargo-fuzz on the stable toolchain). New inputs
# go to a corpus outside the clone; the committed seeds in app/fuzz/corpus/vault_parse are read, not
# written (`make test` replays them through the unit tests). Crashes land in app/fuzz/artifacts/.
FUZZ_CORPUS := $(HOME)/.cache/atrium/fuzz-corpus/vault_parse
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	@mkdir -p $(FUZZ_CORPUS)
	cd app && RUSTC_BOOTSTRAP=1 cargo fuzz run vault_parse $(FUZZ_CORPUS) fuzz/corpus/vault_parse -- -max_total_time=$${FUZZ_SECONDS:-120}

bench: tools tools-browser site-release
	cargo build -p server --release --example bench
	cargo run -p server --release --example bench -- --out BENCHMARKS.md
	cargo run -p server --release --example bench_access_rules -- --out BENCHMARKS.md
	cargo run -p server --release --example bench_resources -- --out BENCHMARKS.md
	cargo build -p server --release
	cd end2end && ATRIUM_BIN=$(RELEASE_DIR)/atrium ATRIUM_RELEASE_SITE=$(RELEASE_DIR)/site CHROMIUM=$(CHROMIUM) ATRIUM_BENCH_OUT=$(CURDIR)/BENCHMARKS.md $(NPM_BIN)/playwright test tests/resources-canvas.bench.spec.ts

clean:
	rm -rf dist end2end/test-results end2end/node_modules
