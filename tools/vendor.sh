#!/bin/sh
# Makes src/rust/vendor.tar.xz: every crate src/rust/Cargo.lock names, as `cargo vendor` writes them, so
# that a source package builds with `cargo --offline` (CRAN's "Using Rust" policy). The archive is
# generated, never edited, and not in git: `make vendor` runs this script, and so does ./cleanup when
# `R CMD build` prepares its copy of a checkout. It is remade when Cargo.toml, Cargo.lock or this script
# is newer than it (or with --force); otherwise nothing happens.
#
# It also checks the minimum rustc that DESCRIPTION states (and ./configure enforces) against the
# `rust-version` of our crate and of every vendored crate: a dependency update that needs a newer
# compiler fails here, not on a user's machine.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
rust="$root/src/rust"
archive="$rust/vendor.tar.xz"

if [ "${1:-}" != "--force" ] && [ -f "$archive" ] &&
  [ ! "$rust/Cargo.lock" -nt "$archive" ] && [ ! "$rust/Cargo.toml" -nt "$archive" ] &&
  [ ! "$root/tools/vendor.sh" -nt "$archive" ]; then
  exit 0
fi

# rustup's cargo is often not on PATH; ./configure searches the same place.
PATH="$PATH:$HOME/.cargo/bin"
command -v cargo >/dev/null || { echo "vendor.sh: cargo not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work" "$archive.tmp"' EXIT INT TERM
cargo vendor --quiet --locked --versioned-dirs --manifest-path "$rust/Cargo.toml" "$work/vendor" >/dev/null

# One stated minimum: DESCRIPTION's "rustc >= X" (SystemRequirements may span lines).
msrv=$(awk '/^SystemRequirements:/ { f = 1 } f && /^[^ \t]/ && !/^SystemRequirements:/ { f = 0 } f' DESCRIPTION |
  tr '\n' ' ' | sed -n 's/.*rustc *(\{0,1\} *>= *\([0-9][0-9.]*\).*/\1/p')
[ -n "$msrv" ] || { echo "vendor.sh: DESCRIPTION's SystemRequirements states no 'rustc >= X'" >&2; exit 1; }
ours=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$rust/Cargo.toml")
[ "$ours" = "$msrv" ] || {
  echo "vendor.sh: src/rust/Cargo.toml has rust-version \"$ours\", DESCRIPTION says rustc >= $msrv" >&2
  exit 1
}
# 0 when version $1 >= $2 (numeric fields, "1.85" = "1.85.0"), as ./configure compares.
version_ge() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    split(a, x, "."); split(b, y, ".")
    for (i = 1; i <= 3; i++) {
      if (x[i] + 0 > y[i] + 0) exit 0
      if (x[i] + 0 < y[i] + 0) exit 1
    }
    exit 0
  }'
}
too_new=""
for manifest in "$work"/vendor/*/Cargo.toml; do
  need=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$manifest")
  [ -n "$need" ] || continue
  if ! version_ge "$msrv" "$need"; then
    too_new="$too_new $(basename "$(dirname "$manifest")") (rust-version $need)"
  fi
done
[ -z "$too_new" ] || {
  echo "vendor.sh: these crates need a newer rustc than DESCRIPTION's $msrv:$too_new" >&2
  echo "  raise the minimum (DESCRIPTION and src/rust/Cargo.toml) or pin older versions in Cargo.lock" >&2
  exit 1
}

# Same crates, same bytes: sorted names, fixed times and owners, single-threaded xz.
(cd "$work" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - vendor) |
  xz -9 -T1 >"$archive.tmp"
mv "$archive.tmp" "$archive"
echo "src/rust/vendor.tar.xz: $(ls "$work/vendor" | wc -l | tr -d ' ') crates, $(wc -c <"$archive" | tr -d ' ') bytes"
