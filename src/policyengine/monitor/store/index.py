"""Questions over every case's obligations, answered by the obligation index (SQL shared by
SQLite and PostgreSQL): what was overdue at a moment, and what falls due between two moments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .rows import OB_COLUMNS, ObligationRow, entry_of

_OB = f"SELECT {OB_COLUMNS}, due_us, ob_id FROM pe_obligations WHERE "


class IndexQueries:
    """Mixed into :class:`.sql.SQLStore`."""

    P = "?"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def _filters(self, kinds: Sequence[str], case_types: Sequence[str] | None,
                 params: list[Any]) -> str:
        sql = f" AND kind IN ({', '.join([self.P] * len(kinds))})"
        params.extend(kinds)
        if case_types is not None:
            sql += f" AND case_type IN ({', '.join([self.P] * max(1, len(case_types)))})"
            params.extend(case_types or [""])
        return sql

    def _rows(self, sql: str, params: Sequence[Any], limit: int | None) -> list[ObligationRow]:
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [ObligationRow(r[0], r[1], entry_of(r))
                for r in self.execute(sql, params).fetchall()]

    def overdue(self, as_of: int, kinds: Sequence[str], case_types: Sequence[str] | None,
                limit: int | None) -> list[ObligationRow]:
        """Obligations past due at ``as_of`` and still open then (opened by then, closed after)."""
        now, later, params = self._late_sql(as_of, kinds, case_types)
        return self._rows(f"{_OB}{now} UNION ALL {_OB}{later} ORDER BY due_us, case_id, ob_id",
                          params, limit)

    def count_overdue(self, as_of: int, kinds: Sequence[str],
                      case_types: Sequence[str] | None) -> int:
        now, later, params = self._late_sql(as_of, kinds, case_types)
        one = "SELECT ob_id FROM pe_obligations WHERE "
        return int(self.execute(f"SELECT COUNT(*) FROM ({one}{now} UNION ALL {one}{later}) AS late",
                                params).fetchone()[0])

    def _late_sql(self, as_of: int, kinds: Sequence[str],
                  case_types: Sequence[str] | None) -> tuple[str, str, list[Any]]:
        """The conditions of what was late at ``as_of``: open then, and closed since."""
        params: list[Any] = []
        p = self.P
        open_now = (f"closed_at_us IS NULL AND due_us IS NOT NULL AND due_us < {p} AND "
                    f"opened_at_us <= {p} AND judgement = 0")
        params += [as_of, as_of]
        open_now += self._filters(kinds, case_types, params)
        closed_later = (f"closed_at_us IS NOT NULL AND due_us IS NOT NULL AND closed_at_us > {p} "
                        f"AND due_us < {p} AND opened_at_us <= {p} AND judgement = 0")
        params += [as_of, as_of, as_of]
        closed_later += self._filters(kinds, case_types, params)
        return open_now, closed_later, params

    def due_between(self, start: int, end: int, as_of: int, kinds: Sequence[str],
                    case_types: Sequence[str] | None, limit: int | None) -> list[ObligationRow]:
        """Obligations still open at ``as_of`` whose due moment is in [start, end]."""
        params: list[Any] = []
        p = self.P
        base = f"due_us IS NOT NULL AND due_us >= {p} AND due_us <= {p} AND opened_at_us <= {p}"
        open_now = f"closed_at_us IS NULL AND {base}"
        params += [start, end, as_of]
        open_now += self._filters(kinds, case_types, params)
        closed_later = f"closed_at_us IS NOT NULL AND closed_at_us > {p} AND {base}"
        params += [as_of, start, end, as_of]
        closed_later += self._filters(kinds, case_types, params)
        sql = f"{_OB}{open_now} UNION ALL {_OB}{closed_later} ORDER BY due_us, case_id, ob_id"
        return self._rows(sql, params, limit)
