"""A scenario test run as data for tools: JSON (``policyengine test --json``) and JUnit XML
(``policyengine test --junit FILE``), which CI systems show test by test."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .errors import Problem
from .scenarios import Coverage, ScenarioResult, TestRun


def problem_dict(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "column": problem.column,
            "message": problem.message}


def result_dict(result: ScenarioResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "file": result.file,
        "line": result.line,
        "policy": result.policy,
        "decision": result.decision,
        "passed": result.passed,
        "failures": list(result.failures),
        "fired": list(result.fired),
    }


def coverage_dict(cov: Coverage) -> dict[str, Any]:
    return {
        "policy": cov.policy,
        "rules_total": cov.rules_total,
        "rules_covered": cov.rules_total - len(cov.uncovered_rules),
        "rule_percent": round(cov.rule_percent, 1),
        "uncovered_rules": [{"decision": d, "rule": r, "line": line}
                            for d, r, line in cov.uncovered_rules],
        "clauses_total": cov.clauses_total,
        "uncovered_clauses": [{"document": doc, "clause": clause}
                              for doc, clause in cov.uncovered_clauses],
    }


def run_dict(run: TestRun, coverage: list[Coverage] | None = None) -> dict[str, Any]:
    """The run as JSON: counts, every scenario's result, file problems, coverage if asked."""
    out: dict[str, Any] = {
        "passed": run.passed,
        "failed": run.failed,
        "ok": run.failed == 0 and bool(run.results or run.problems),
        "results": [result_dict(r) for r in run.results],
        "problems": [problem_dict(p) for p in run.problems],
    }
    if coverage is not None:
        out["coverage"] = [coverage_dict(c) for c in coverage]
    return out


def junit_xml(run: TestRun) -> ET.ElementTree:
    """The run as JUnit XML: one testsuite per scenario file, one testcase per scenario (its
    classname ``policy.decision``), and an error case for each file that could not be read."""
    root = ET.Element("testsuites", name="policyengine scenarios",
                      tests=str(len(run.results) + len(run.problems)),
                      failures=str(sum(not r.passed for r in run.results)),
                      errors=str(len(run.problems)))
    suites: dict[str, ET.Element] = {}

    def suite(file: str) -> ET.Element:
        if file not in suites:
            suites[file] = ET.SubElement(root, "testsuite", name=file, tests="0", failures="0",
                                         errors="0")
        return suites[file]

    def bump(element: ET.Element, key: str) -> None:
        element.set(key, str(int(element.get(key, "0")) + 1))

    for result in run.results:
        s = suite(result.file)
        bump(s, "tests")
        case = ET.SubElement(s, "testcase", classname=f"{result.policy}.{result.decision}",
                             name=result.name, file=result.file, line=str(result.line))
        if not result.passed:
            bump(s, "failures")
            failure = ET.SubElement(case, "failure", message=result.failures[0])
            failure.text = "\n".join([f"{result.file}:{result.line}: {result.name}",
                                      *result.failures])
    for problem in run.problems:
        s = suite(problem.file)
        bump(s, "tests")
        bump(s, "errors")
        case = ET.SubElement(s, "testcase", classname="scenario_file",
                             name=f"{Path(problem.file).name}:{problem.line}",
                             file=problem.file, line=str(problem.line))
        error = ET.SubElement(case, "error", message=problem.message)
        error.text = str(problem)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    return tree


def write_junit(run: TestRun, path: Path) -> None:
    junit_xml(run).write(path, encoding="utf-8", xml_declaration=True)
