"""Turn a validated policy file into a compiled policy: types resolved, expressions compiled,
names and enum values checked, and the static checks that need no facts run once.

The stages: the policy's own parts here (calendar, interpretations, citations, names nothing
uses), each decision by :mod:`policyengine.decision_compiler` (its rules' conditions and values
by :mod:`policyengine.expressions`), further sections (lifecycles) by the section compilers the
caller passes in. What comes out is described in :mod:`policyengine.compiled` (re-exported here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType

from .calendars import calendar_for
from .compile_context import CompileContext
from .compiled import (
    CompiledCitation,
    CompiledDecision,
    CompiledNote,
    CompiledPolicy,
    CompiledRule,
    InterpretationNote,
    PolicyAbout,
)
from .decision_compiler import RESERVED_FACTS, compile_decision
from .errors import PolicyError
from .expressions import CompileError
from .load import LoadedYaml, Path_, read_yaml_text
from .policy_cache import read_policy_file
from .schema import FactType, PolicyFile, parse_policy

__all__ = [
    "BUILTIN_DECISIONS",
    "RESERVED_FACTS",
    "SECTIONS_COMPILED_ELSEWHERE",
    "CompiledCitation",
    "CompiledDecision",
    "CompiledNote",
    "CompiledPolicy",
    "CompiledRule",
    "InterpretationNote",
    "PolicyAbout",
    "SectionCompiler",
    "compile_policy_file",
    "compile_policy_text",
]

#: Top-level sections a caller's section compiler compiles (the compiler imports none of them).
SECTIONS_COMPILED_ELSEWHERE = ("lifecycles",)
#: A compiler of one such section: run after the decisions, before the unused-name checks; it
#: reports problems through the compiler it is given and records its result on the policy.
SectionCompiler = Callable[["_Compiler", "CompiledPolicy"], None]

BUILTIN_DECISIONS = ("policy_status",)


class _Compiler(CompileContext):
    """One policy file being compiled, with the section compilers to run on it."""

    def __init__(
        self, loaded: LoadedYaml, spec: PolicyFile,
        sections: Mapping[str, SectionCompiler] | None = None,
    ) -> None:
        super().__init__(loaded, spec)
        self.sections: Mapping[str, SectionCompiler] = sections or {}

    def compile(self, file: str, text: str, *, decisions_only: bool = False) -> CompiledPolicy:
        spec = self.spec
        for name, ft in spec.types.items():
            try:
                self.named_types[name] = self.resolve_type(ft, ("types", name), (name,))
            except CompileError as exc:
                self.problems.append(exc.problem)
        closes_at = None
        if spec.calendar.office_closes_at:
            hh, mm = spec.calendar.office_closes_at.split(":")
            closes_at = dt.time(int(hh), int(mm))
            if not spec.calendar.office_closes_at_interpretation:
                self.fail(("calendar", "office_closes_at"),
                          "an office closing time goes beyond the text: name the interpretation "
                          "that records it in 'office_closes_at_interpretation'")
        for key in ("office_closes_at_interpretation",):
            ref = getattr(spec.calendar, key)
            if ref:
                self.use_interpretation(ref, ("calendar", key))
        for i, c in enumerate(spec.policy.cite):
            self.check_citation(c, ("policy", "cite", i))
        for i, ref in enumerate(spec.policy.interpretations):
            self.use_interpretation(ref, ("policy", "interpretations", i))
        calendar = calendar_for(spec.policy.nation,
                                spec.calendar.closure_days, spec.calendar.open_days)
        interps = MappingProxyType({
            name: InterpretationNote.from_spec(name, i)
            for name, i in spec.interpretations.items()
        })
        policy = CompiledPolicy(
            id=spec.policy.id,
            file=file,
            text=text,
            sha256=self.loaded.sha256,
            spec=spec,
            loaded=self.loaded,
            calendar=calendar,
            closes_at=closes_at,
            interpretations=interps,
        )
        decisions: dict[str, CompiledDecision] = {}
        object.__setattr__(policy, "decisions", decisions)  # filled as each compiles
        for dname in spec.decisions:
            path: Path_ = ("decisions", dname)
            if dname in BUILTIN_DECISIONS:
                self.fail(path, f"'{dname}' is built in to every policy; choose another name",
                          key=True)
                continue
            compiled = compile_decision(self, policy, dname, path)
            if compiled is not None:
                decisions[dname] = compiled
        if not decisions_only:
            for compile_section in self.sections.values():
                compile_section(self, policy)
            for key in SECTIONS_COMPILED_ELSEWHERE:
                if self.loaded.data.get(key) and key not in self.sections:
                    self.fail((key,), f"the '{key}' section is compiled by "
                                      f"policyengine.{key[:-1]}: load this file with "
                                      "policyengine.load_policies or "
                                      "policyengine.policyset.compile_policy_file", key=True)
        if self.problems:  # unused names are only meaningful once everything else compiles
            self.problems.sort(key=lambda p: (p.line, p.column))
            raise PolicyError(self.problems)
        object.__setattr__(policy, "decisions", MappingProxyType(decisions))
        # what decisions read of the file, taken now: later changes to the parsed file (spec,
        # loaded) change no decision
        for part in ("about", "calendar_record", "interpretation_dicts", "file_name"):
            getattr(policy, part)
        if decisions_only:  # names only the lifecycles use would look unused
            return policy
        for name in spec.interpretations:
            if name not in self.used_interpretations:
                self.fail(("interpretations", name),
                          f"interpretation '{name}' is not used by any rule", key=True)
        for name in spec.sources:
            if name not in self.used_sources:
                self.fail(("sources", name), f"source '{name}' is not cited by any rule", key=True)
        for name in spec.types:
            used = _mentions_type(spec.types, name, skip=name) or any(
                _mentions_type(d.facts, name)
                or _mentions_type({k: o.of for k, o in d.outcomes.items() if o.of}, name)
                or any(o.type == name for o in d.outcomes.values())
                for d in spec.decisions.values()
            )
            if not used:
                self.fail(("types", name), f"type '{name}' is not used by any fact", key=True)
        if self.problems:
            self.problems.sort(key=lambda p: (p.line, p.column))
            raise PolicyError(self.problems)
        return policy


def _mentions_type(facts: Mapping[str, FactType], name: str, skip: str | None = None) -> bool:
    for key, ft in facts.items():
        if key == skip:
            continue
        if ft.type == name:
            return True
        if ft.of is not None and _mentions_type({"of": ft.of}, name):
            return True
        if ft.fields and _mentions_type(ft.fields, name):
            return True
    return False



def compile_policy_text(
    text: str, file: str, sections: Mapping[str, SectionCompiler] | None = None, *,
    sha256: str | None = None,
) -> CompiledPolicy:
    """The compiled policy in ``text``, its further ``sections`` compiled by the compilers given
    (policyengine.policyset.compile_policy_text gives them all). ``sha256`` is the digest to
    record for it (the file's bytes, when the text was read from a file elsewhere); by default
    that of the text's UTF-8."""
    loaded = read_yaml_text(text, file, sha256=sha256)
    spec = parse_policy(loaded)
    return _Compiler(loaded, spec, sections).compile(file, text)


def compile_policy_file(
    path: Path, sections: Mapping[str, SectionCompiler] | None = None, *,
    decisions_only: bool = False,
) -> CompiledPolicy:
    """The compiled policy in ``path``, its further ``sections`` compiled by the compilers given.
    With ``decisions_only`` its case lifecycles are left out (and not checked), for a process
    that only takes decisions. The file is read and validated through the cache of
    :mod:`policyengine.policy_cache` (so a new process reads unchanged bytes once)."""
    read = read_policy_file(path)
    compiled = _Compiler(read.loaded, read.spec, sections).compile(
        str(path), read.loaded.text, decisions_only=decisions_only)
    read.keep()  # it compiled: keep it (with any section its compilers validated)
    return compiled
