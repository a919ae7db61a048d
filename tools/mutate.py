#!/usr/bin/env python3
"""Mutation run: does the test suite catch the bugs that matter most?

Each mutant below is one small deliberate bug in a rule we rely on (security, key order, float
format, archive guards, depth limits, safe mode). For each, this script copies the committed tree
(plus uncommitted changes) to a scratch folder once, applies that mutant alone, runs the suites
(`cargo test` and `make r-test`; the scratch folder keeps cargo's build between mutants), and reports
whether the suite failed ("killed") or passed ("SURVIVED"). Every mutant in the list must be
killed: a survivor is a missing test. A mutant whose text is no longer in the code is "stale" and
must be updated alongside the code it names.

Run by hand from the package root (a few minutes a mutant; not part of CI):
    python3 tools/mutate.py              # all mutants
    python3 tools/mutate.py depth-r      # the mutants whose names contain "depth-r"
"""
import os
import shutil
import subprocess
import sys
import time

# (name, file, text in the code, its replacement)
MUTANTS = [
    ("function-global-fallback", "R/deserialize.R",
     '  res <- rs_resolve(kind, name, module, registered_name, opts$custom, opts$module)\n',
     '  res <- rs_resolve(kind, name, module, registered_name, opts$custom, opts$module)\n'
     '  if (kind == "function" && inherits(res, "kc_rust_error") && exists(name, envir = globalenv(), mode = "function", inherits = FALSE))\n'
     '    return(get(name, envir = globalenv(), mode = "function"))\n'),
    ("class-global-fallback", "R/deserialize.R",
     '  res <- rs_resolve(kind, name, module, registered_name, opts$custom, opts$module)\n',
     '  res <- rs_resolve(kind, name, module, registered_name, opts$custom, opts$module)\n'
     '  if (kind == "class" && inherits(res, "kc_rust_error") && exists(name, envir = globalenv(), inherits = FALSE))\n'
     '    return(get(name, envir = globalenv()))\n'),
    ("module-is-a-lookup-path", "R/deserialize.R",
     '  res <- rs_resolve(kind, name, module, registered_name, opts$custom, opts$module)\n',
     '  res <- rs_resolve(kind, name, module, registered_name, opts$custom, opts$module)\n'
     '  if (inherits(res, "kc_rust_error") && !is.null(module) && module %in% loadedNamespaces())\n'
     '    return(getExportedValue(module, name))\n'),
    ("depth-r-off-by-one", "R/deserialize.R",
     "kc_max_depth <- 100L", "kc_max_depth <- 101L"),
    ("depth-json-off-by-one", "src/rust/core/src/codec/mod.rs",
     "pub const MAX_DEPTH: usize = 100;", "pub const MAX_DEPTH: usize = 101;"),
    ("safe-mode-default-off", "R/deserialize.R",
     "deserialize_keras_object <- function(config, custom_objects = NULL, safe_mode = TRUE, ...) {",
     "deserialize_keras_object <- function(config, custom_objects = NULL, safe_mode = FALSE, ...) {"),
    ("key-order-class-name-first", "R/serialize.R",
     "  out <- list(module = x[[\".__module__\"]] %||% info$module, class_name = info$classname, config = config,",
     "  out <- list(class_name = info$classname, module = x[[\".__module__\"]] %||% info$module, config = config,"),
    ("float-repr-exponent-threshold", "src/rust/core/src/codec/float.rs",
     "    if (-4..16).contains(&exponent) {", "    if (-4..17).contains(&exponent) {"),
    ("archive-dotdot-allowed", "src/rust/core/src/archive/read.rs",
     "    if name.split('/').any(|part| part == \"..\") {", "    if name.split('/').any(|part| part == \"...\") {"),
    ("archive-declared-size-unchecked", "src/rust/core/src/archive/read.rs",
     "        if declared > limit {", "        if declared > limit.saturating_mul(2) {"),
    ("registered-name-check-skipped", "src/rust/core/src/resolve.rs",
     "                    if !rn.is_empty() && rn != req.name && rn != builtins.class_name(&b) {",
     "                    if rn.is_empty() && rn != req.name && rn != builtins.class_name(&b) {"),
    ("non-modeling-apis-allowed", "src/rust/core/src/resolve.rs",
     "        if builtins.is_non_modeling(&path) {", "        if builtins.is_non_modeling(&path) && path.is_empty() {"),
]


# The suites without the format and lint checks of `make cargo-test`: a mutant must be caught by
# a test, not by clippy.
SUITES = ["bash", "-c", "cd src/rust && cargo test --workspace --locked -q && cd ../.. && make -s r-test"]


def run(cmd, cwd, log):
    with open(log, "w") as out:
        return subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, timeout=1800).returncode


def main():
    root = os.getcwd()
    if not os.path.exists(os.path.join(root, "DESCRIPTION")):
        sys.exit("Run from the package root.")
    wanted = sys.argv[1:]
    mutants = [m for m in MUTANTS if not wanted or any(w in m[0] for w in wanted)]
    scratch = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kerasconfig-mutants")
    work = os.path.join(scratch, "pkg")
    if os.path.exists(work):
        shutil.rmtree(work)
    # The tracked files as they are in the work tree (uncommitted changes included).
    files = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src = os.path.join(root, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(work, rel)) or work, exist_ok=True)
            shutil.copy2(src, os.path.join(work, rel))
    env_ref = os.path.abspath(os.path.join(root, "..", "shared", "keras-reference"))
    os.environ.setdefault("REFERENCE", env_ref)
    # The unmutated suite must pass, or no result means anything.
    print("baseline ...", flush=True)
    if run(SUITES, work, os.path.join(scratch, "baseline.log")) != 0:
        sys.exit(f"The unmutated suite fails: see {scratch}/baseline.log")
    results = []
    for name, rel, old, new in mutants:
        path = os.path.join(work, rel)
        original = open(path).read()
        if original.count(old) != 1:
            results.append((name, "stale", 0.0))
            print(f"{name:36s} stale (its text is not in {rel} exactly once)", flush=True)
            continue
        open(path, "w").write(original.replace(old, new))
        start = time.time()
        try:
            code = run(SUITES, work, os.path.join(scratch, f"{name}.log"))
        except subprocess.TimeoutExpired:
            code = "timeout"
        finally:
            open(path, "w").write(original)
        verdict = "SURVIVED" if code == 0 else "killed"
        results.append((name, verdict, time.time() - start))
        print(f"{name:36s} {verdict:8s} {time.time() - start:6.0f} s", flush=True)
    survivors = [r for r in results if r[1] != "killed"]
    print(f"\n{len(results) - len(survivors)} of {len(results)} mutants killed; logs in {scratch}")
    sys.exit(1 if survivors else 0)


if __name__ == "__main__":
    main()
