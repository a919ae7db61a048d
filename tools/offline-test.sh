#!/bin/sh
# Installs a source package the way our users do, on a server without internet and without Python:
# cargo offline with an empty CARGO_HOME, no network at all when this machine lets us take it away
# (`unshare -n`), and `python`/`python3` on the PATH failing. Then loads the package and calls into
# Rust. Fails when the package lacks its vendored crates, reaches CRAN's 5 MB, needs the network or
# Python, writes into CARGO_HOME, or does not work once installed. `make offline-test` runs it.
set -eu
tarball=${1:?usage: tools/offline-test.sh kerasconfig_<version>.tar.gz}
fail() { echo "offline-test: $*" >&2; exit 1; }

size=$(wc -c <"$tarball" | tr -d ' ')
vendored=$(tar -tzf "$tarball" | grep -c '^kerasconfig/src/rust/vendor\.tar\.xz$' || true)
[ "$vendored" = 1 ] || fail "$tarball carries no src/rust/vendor.tar.xz"
[ "$size" -lt 5000000 ] || fail "$tarball is $size bytes: CRAN's limit is 5 MB"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/lib" "$work/cargo-home" "$work/bin"
for python in python python3; do
  printf '#!/bin/sh\necho "offline-test: the installation ran %s" >&2\nexit 1\n' "$python" >"$work/bin/$python"
  chmod +x "$work/bin/$python"
done
no_network=""
how="CARGO_NET_OFFLINE=true"
if unshare -n true 2>/dev/null; then
  no_network="unshare -n"
  how="$how, in a network namespace with no network"
fi

echo "offline-test: installing $tarball ($size bytes) with an empty CARGO_HOME, $how, without Python"
start=$(date +%s)
if ! $no_network env CARGO_HOME="$work/cargo-home" CARGO_NET_OFFLINE=true PATH="$work/bin:$PATH" \
  R CMD INSTALL --no-docs --library="$work/lib" "$tarball" >"$work/install.log" 2>&1; then
  cat "$work/install.log"
  fail "installing $tarball failed"
fi
echo "offline-test: installed in $(($(date +%s) - start)) s; configure said:"
grep '^configure:' "$work/install.log" | sed 's/^/  /'
[ -z "$(ls -A "$work/cargo-home")" ] || fail "the installation wrote into CARGO_HOME: $(ls -A "$work/cargo-home")"

cat >"$work/load.R" <<'EOF'
lib <- commandArgs(TRUE)[[1]]
library(kerasconfig, lib.loc = lib)
stopifnot(identical(find.package("kerasconfig"), normalizePath(file.path(lib, "kerasconfig"))))
# What Python's json.dumps writes, through the Rust codec both ways.
json <- '{"a": [1, 2.5, null, true], "b": "\\u00e9"}'
stopifnot(identical(config_to_json(config_from_json(json)), json))
# A built-in from the catalog embedded in the crate.
config <- serialize_keras_object(layer_dense(units = 3))
stopifnot(identical(config$class_name, "Dense"), identical(config$config$units, 3L))
cat("offline-test: kerasconfig", format(packageVersion("kerasconfig", lib)), "loads and works\n")
EOF
R_LIBS="" Rscript --vanilla "$work/load.R" "$work/lib"
