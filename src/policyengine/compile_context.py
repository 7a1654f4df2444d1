"""What every part of compiling one policy file shares: the parsed file, the problems found so
far (each positioned), the interpretations and sources used, and the checks of types and
citations that the decisions and the lifecycles both make.

:class:`policyengine.compiler._Compiler` is this context with the policy-level steps; the
decisions are compiled by :mod:`policyengine.decision_compiler`, the case lifecycles by
:mod:`policyengine.lifecycle`, each reporting through the context it is given.
"""

from __future__ import annotations

from .errors import Problem, did_you_mean
from .expressions import CompileError
from .facts import ALL_KINDS, ValueType
from .load import LoadedYaml, Path_
from .schema import Citation, FactType, PolicyFile


class CompileContext:
    """One policy file being compiled: its problems and the names it has used."""

    def __init__(self, loaded: LoadedYaml, spec: PolicyFile) -> None:
        self.loaded = loaded
        self.spec = spec
        self.problems: list[Problem] = []
        self.used_interpretations: set[str] = set()
        self.used_sources: set[str] = set()
        self.named_types: dict[str, ValueType] = {}

    def fail(self, path: Path_, message: str, *, key: bool = False) -> None:
        self.problems.append(self.loaded.problem(path, message, key=key))

    # ---------------------------------------------------------------- types
    def resolve_type(self, ft: FactType, path: Path_, stack: tuple[str, ...] = ()) -> ValueType:
        kind = ft.type
        if kind not in ALL_KINDS:
            if kind in self.spec.types:
                if kind in stack:
                    raise CompileError(self.loaded.problem(path, f"type '{kind}' refers to itself"))
                base = self.resolve_type(
                    self.spec.types[kind], ("types", kind), (*stack, kind)
                )
                return ValueType(
                    base.kind, base.values, base.ordered, base.of, base.fields,
                    ft.optional or base.optional, kind, base.minimum, base.maximum,
                    base.max_items,
                )
            known = [*ALL_KINDS, *self.spec.types]
            hint = did_you_mean(kind, known)
            raise CompileError(
                self.loaded.problem((*path, "type"), f"unknown type '{kind}'{hint}; "
                                    f"known types: {', '.join(known)}")
            )
        if kind == "enum":
            if not ft.values:
                raise CompileError(self.loaded.problem(path, "an enum needs a list of 'values'"))
            if len(set(ft.values)) != len(ft.values):
                raise CompileError(self.loaded.problem((*path, "values"), "an enum value repeats"))
            return ValueType("enum", tuple(ft.values), ft.ordered, optional=ft.optional)
        if ft.values is not None or ft.ordered:
            raise CompileError(
                self.loaded.problem(path, f"'values' and 'ordered' belong to enums, not {kind}")
            )
        if kind == "list":
            if ft.of is None:
                raise CompileError(self.loaded.problem(path, "a list needs 'of': its item type"))
            of = self.resolve_type(ft.of, (*path, "of"), stack)
            return ValueType("list", of=of, optional=ft.optional, max_items=ft.max_items or 10_000)
        if kind == "record":
            if not ft.fields:
                raise CompileError(self.loaded.problem(path, "a record needs 'fields'"))
            fields = tuple(
                (name, self.resolve_type(sub, (*path, "fields", name), stack))
                for name, sub in ft.fields.items()
            )
            return ValueType("record", fields=fields, optional=ft.optional)
        return ValueType(kind, optional=ft.optional, minimum=ft.minimum, maximum=ft.maximum)

    # ------------------------------------------------------------ citations
    def check_citation(self, cite: Citation, path: Path_) -> None:
        if cite.source not in self.spec.sources:
            self.fail((*path, "source"),
                      f"unknown source '{cite.source}'; sources: {', '.join(self.spec.sources)}")
        else:
            self.used_sources.add(cite.source)
        if len(cite.quote.strip()) < 8:
            self.fail((*path, "quote"), "a citation quotes the clause it encodes (8+ characters)")

    # ------------------------------------------------------------- policy

    def use_interpretation(self, name: str, path: Path_) -> None:
        if name not in self.spec.interpretations:
            hint = did_you_mean(name, self.spec.interpretations)
            self.fail(path, f"unknown interpretation '{name}'{hint}")
        else:
            self.used_interpretations.add(name)

