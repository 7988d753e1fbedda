#!/usr/bin/env python3
"""Runs the GitHub Actions workflow of docs/ci.md as far as a test can, so the page cannot rot.

usage: check_ci_workflow.py DOCS/ci.md BBC EXAMPLES_DIR

Checks the workflow's shape (its Debian container installs git before the checkout, the
upload step reads the file the lint step writes), then runs every shell step but the
package installs and the build in a scratch git repository holding the examples' graphs,
with build/tools/bbc the bbc under test. The log must be valid SARIF that code scanning
takes: a successful invocation, a helpUri per rule, a fingerprint per result. The same
for the page's second workflow fragment (compile, then lint the compiled graphs), and a
repository with no graphs must still upload a valid, empty log.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

failures = []


def check(what, ok, detail=""):
    if not ok:
        failures.append(what + (": " + detail if detail else ""))


def yaml_blocks(text):
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def run_step(script, cwd, home):
    env = dict(os.environ, HOME=home)
    # GitHub runs `run:` steps in a container with `sh -e {0}`.
    return subprocess.run(["sh", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def runnable(script):
    return "apt-get" not in script and "cmake" not in script


def check_sarif(path, expect_results):
    try:
        with open(path) as f:
            log = json.load(f)
    except (OSError, ValueError) as e:
        check("the workflow writes a readable SARIF log", False, str(e))
        return
    check("SARIF version 2.1.0", log.get("version") == "2.1.0")
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    check("informationUri is a URL", driver.get("informationUri", "").startswith("https://"), str(driver))
    inv = run.get("invocations", [{}])[0]
    check("the invocation succeeded", inv.get("executionSuccessful") is True, json.dumps(inv))
    for rule in driver.get("rules", []):
        check("rule %s has a helpUri into docs/diagnostics.md" % rule["id"],
              "docs/diagnostics.md#" + rule["id"].lower() in rule.get("helpUri", ""))
    prints = [r.get("partialFingerprints", {}).get("bbFinding/v1") for r in run["results"]]
    check("every result has a fingerprint", all(prints), str(prints))
    check("fingerprints are distinct", len(set(prints)) == len(prints), str(prints))
    if expect_results is not None:
        check("results", len(run["results"]) == expect_results, json.dumps(run["results"])[:2000])


def main():
    ci_md, bbc, examples = sys.argv[1:4]
    with open(ci_md) as f:
        blocks = yaml_blocks(f.read())
    workflow, fragment = blocks[0], blocks[1]
    job = workflow["jobs"]["lint"]
    steps = job["steps"]
    checkout = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/checkout"))
    git = [i for i, s in enumerate(steps) if re.search(r"apt-get install[^\n]*\bgit\b", s.get("run", ""))]
    check("the container installs git before actions/checkout",
          "container" not in job or (git and git[0] < checkout), "steps: %s" % [s.get("name", s.get("uses")) for s in steps])
    upload = next(s for s in steps if "upload-sarif" in str(s.get("uses", "")))
    sarif = upload["with"]["sarif_file"]
    lint_steps = [s["run"] for s in steps if "run" in s and runnable(s["run"])]
    check("the lint step writes the file the upload reads", any(sarif in r for r in lint_steps))

    with tempfile.TemporaryDirectory() as tmp:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        for graphs in (True, False):
            repo = os.path.join(tmp, "repo-with" + ("" if graphs else "out") + "-graphs")
            os.makedirs(os.path.join(repo, "build", "tools"))
            os.symlink(os.path.abspath(bbc), os.path.join(repo, "build", "tools", "bbc"))
            subprocess.run(["git", "init", "-q", repo], check=True)
            if graphs:
                for root, _, files in os.walk(examples):
                    for name in files:
                        if not name.endswith(".onnxtxt") or "custom_kernel" in root:
                            continue  # custom ops lint with a note only; keep the check about the workflow
                        dst = os.path.join(repo, "examples", os.path.relpath(os.path.join(root, name), examples))
                        os.makedirs(os.path.dirname(dst), exist_ok=True)
                        shutil.copy(os.path.join(root, name), dst)
                subprocess.run(["git", "-C", repo, "add", "."], check=True)
            for script in lint_steps:
                p = run_step(script, repo, home)
                check("workflow step exits 0 (%s)" % ("graphs" if graphs else "no graphs"), p.returncode == 0,
                      script + "\n" + p.stderr[-2000:])
            check_sarif(os.path.join(repo, sarif), None if graphs else 0)
            if graphs:
                for step in fragment:
                    p = run_step(step["run"], repo, home)
                    check("the compile-and-lint fragment exits 0", p.returncode == 0, step["run"] + "\n" + p.stderr[-2000:])
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        return 1
    print("docs/ci.md workflow: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
