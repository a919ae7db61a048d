# `make demo` and `make test` do all set-up on a fresh Debian machine with rustup's cargo.
SHELL := /bin/bash
R_PKGS := r-base-dev r-cran-testthat r-cran-r6 r-cran-jsonlite r-cran-bench r-cran-roxygen2 r-cran-png
# Graphviz draws plot(model); the package works without it (model_to_dot() needs nothing).
DEB_PKGS := $(R_PKGS) graphviz
REFERENCE ?= $(abspath ../shared/keras-reference)
export KERASCONFIG_REFERENCE := $(REFERENCE)
export PATH := $(HOME)/.cargo/bin:$(PATH)
LIB := $(CURDIR)/.rlib
TARBALL := kerasconfig_$(shell sed -n 's/^Version: *//p' DESCRIPTION).tar.gz

.PHONY: deps install demo test cargo-test r-test vendor build offline-test wrappers document check bench clean

# Installs only what is missing (dpkg knows), so a set-up machine pays nothing.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

install: deps
	@mkdir -p $(LIB)
	R CMD INSTALL --no-docs --library=$(LIB) . >$(LIB)/install.log 2>&1 || { cat $(LIB)/install.log; exit 1; }
	@echo "kerasconfig installed into $(LIB)"

demo: install
	R_LIBS=$(LIB) Rscript tools/demo.R

# Formatting (src/rust/rustfmt.toml) and lints are part of the tests: a change that breaks them fails.
# Both crates: the package's R glue (src/rust) and the R-free core (src/rust/core).
cargo-test: deps
	cd src/rust && cargo fmt --all --check && cargo clippy --workspace --locked --all-targets --quiet -- -D warnings
	cd src/rust && cargo test --workspace --locked 2>&1

r-test: install
	R_LIBS=$(LIB) Rscript tools/run-tests.R

test: cargo-test r-test offline-test

# src/rust/vendor.tar.xz, the crates the source package carries; remade when Cargo.lock changes.
vendor:
	sh tools/vendor.sh

# The source package users install (R CMD build would vendor by itself, but hides the output).
build: deps vendor
	rm -f kerasconfig_*.tar.gz
	R CMD build --no-build-vignettes .

# Installs the source package with no network, an empty CARGO_HOME and no Python, then loads it.
offline-test: build
	sh tools/offline-test.sh $(TARBALL)

wrappers: deps
	Rscript tools/wrappers.R

document: deps
	Rscript -e 'roxygen2::update_collate("."); roxygen2::roxygenise(roclets = c("rd", "namespace"))'

check: build
	rm -rf kerasconfig.Rcheck
	_R_CHECK_FORCE_SUGGESTS_=false R CMD check --no-manual $(TARBALL)

bench: install
	R_LIBS=$(LIB) Rscript bench/run.R

clean:
	rm -rf $(LIB) src/rust/target src/*.o src/*.so kerasconfig.Rcheck kerasconfig_*.tar.gz \
	  src/Makevars src/.cargo src/rust/vendor src/rust/vendor.tar.xz
