#!/usr/bin/python3
"""Checks `bbc lint --format json|sarif` output against docs/lint.md: valid UTF-8, valid JSON,
the fields that page lists.

    check_formats.py json|sarif < output      exit 0 if it conforms, 1 with the reason
"""
import json
import sys


def fail(why):
    print(why)
    sys.exit(1)


def check_json(doc):
    if set(doc) != {"findings", "summary"}:
        fail("top-level keys: %s" % sorted(doc))
    keys = {"code", "severity", "message", "file", "node", "op_type", "index", "hint"}
    for f in doc["findings"]:
        if set(f) != keys:
            fail("finding keys: %s" % sorted(f))
        if f["severity"] not in ("error", "warning", "note"):
            fail("severity %r" % f["severity"])
        if not (f["code"].startswith("BB") and isinstance(f["message"], str) and isinstance(f["hint"], str)):
            fail("finding %r" % f)
        if f["index"] is None:
            if f["node"] is not None or f["op_type"] is not None:
                fail("file-level finding with node fields: %r" % f)
        elif not isinstance(f["index"], int) or not isinstance(f["op_type"], str):
            fail("node finding %r" % f)
        if f["node"] is not None and not isinstance(f["node"], str):
            fail("node %r" % f["node"])
    s = doc["summary"]
    if set(s) != {"errors", "warnings", "notes", "files"}:
        fail("summary keys: %s" % sorted(s))
    for sev, key in (("error", "errors"), ("warning", "warnings"), ("note", "notes")):
        if s[key] != sum(1 for f in doc["findings"] if f["severity"] == sev):
            fail("summary %s does not count the findings" % key)


def check_sarif(doc):
    if doc.get("version") != "2.1.0" or "$schema" not in doc:
        fail("version/$schema")
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    for key in ("name", "version", "informationUri", "rules"):
        if key not in driver:
            fail("driver lacks %s" % key)
    ids = [r["id"] for r in driver["rules"]]
    if len(ids) != len(set(ids)):
        fail("duplicate rules")
    for r in driver["rules"]:
        for key in ("id", "shortDescription", "fullDescription", "help", "defaultConfiguration"):
            if key not in r:
                fail("rule lacks %s" % key)
        if r["defaultConfiguration"]["level"] not in ("error", "warning", "note"):
            fail("rule level")
        if not r["shortDescription"]["text"] or not r["fullDescription"]["text"] or not r["help"]["text"]:
            fail("empty rule text")
    used = {res["ruleId"] for res in run["results"]}
    if used != set(ids):
        fail("rules %s but results use %s" % (sorted(ids), sorted(used)))
    for res in run["results"]:
        if res["level"] not in ("error", "warning", "note") or not res["message"]["text"]:
            fail("result %r" % res)
        loc = res["locations"][0]
        phys = loc["physicalLocation"]
        if not phys["artifactLocation"]["uri"] or phys["region"]["startLine"] != 1:
            fail("physicalLocation %r" % phys)
        for logical in loc.get("logicalLocations", []):
            if logical["kind"] != "function" or not logical["name"]:
                fail("logicalLocation %r" % logical)


def main():
    try:  # strict: invalid UTF-8 or invalid JSON fails (text-mode stdin could escape bytes)
        doc = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail("not valid UTF-8 JSON: %s" % e)
    {"json": check_json, "sarif": check_sarif}[sys.argv[1]](doc)
    print("ok")


if __name__ == "__main__":
    main()
