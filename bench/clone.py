"""The seed's one bulk loader: copies of rows the app wrote, one INSERT ... SELECT per table.

A block is what the tables gained between two snapshots of their highest ids (`maxima`). Each copy
moves every id past its table's end (references within the block with it), takes its own manager and
department, and makes unique text unique; certificates get a new code, in their payload too, signed
with the instance key. Audit events (a hash chain) are not copied, nor rows the database writes itself.
"""
from __future__ import annotations

import secrets

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    true,
)

NOT_COPIED = {"audit_events"}


def maxima(conn, metadata) -> dict[str, int]:
    """The highest id of every table that has an integer `id` (conn: a Connection or a Session)."""
    return {t.name: conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()
            for t in metadata.sorted_tables if "id" in t.c and isinstance(t.c.id.type, Integer)}


class Clone:
    def __init__(self, engine, metadata, log=print):
        self.engine, self.metadata, self.log = engine, metadata, log
        self.made = 0  # copies so far: numbers the unique text of the next ones

    def copy(self, before: dict, after: dict, manager_id: int, department_id: int,
             copies: list[tuple[int, int]]) -> list[int]:
        """Copy the block (rows with ids in (before, after]) once per (manager id, department id) in
        `copies`; references to `manager_id` / `department_id` become the copy's. Returns how far each
        copy moved the block's user ids."""
        if not copies:
            return []
        ranges = {t: (before.get(t, 0) + 1, hi) for t, hi in after.items() if hi > before.get(t, 0)}
        with self.engine.begin() as conn:
            end = maxima(conn, self.metadata)
            moves = {t: (end[t] + 1 - lo, hi - lo + 1) for t, (lo, hi) in ranges.items()}  # id + first + k * span
            plan = Table("bench_copies", MetaData(), Column("k", Integer, primary_key=True), Column("n", Integer),
                         Column("manager_id", Integer), Column("department_id", Integer), prefixes=["TEMPORARY"])
            plan.create(conn)
            conn.execute(insert(plan), [{"k": k, "n": self.made + k + 1, "manager_id": m, "department_id": d}
                                        for k, (m, d) in enumerate(copies)])

            def moved(column, table_name):
                first, span = moves[table_name]
                return column + literal(first) + plan.c.k * literal(span)

            def value(column):
                fk = next(iter(column.foreign_keys), None)
                target = fk.column.table.name if fk is not None else None
                if column.primary_key and column.name == "id":
                    return moved(column, column.table.name)
                if target == "users" or target in ranges:
                    outside = (case((column == manager_id, plan.c.manager_id), else_=column) if target == "users"
                               else column)
                    if target not in ranges:
                        return outside
                    return case((column.between(*ranges[target]), moved(column, target)), else_=outside)
                if target == "departments":
                    return case((column == department_id, plan.c.department_id), else_=column)
                if column.unique and isinstance(column.type, (String, Text)):
                    n = cast(plan.c.n, String)
                    if column.name == "email":
                        return func.replace(column, "@", literal(".") + n + literal("@"))
                    return column + literal("~") + n
                return column

            for table in self.metadata.sorted_tables:
                if table.name in NOT_COPIED:
                    continue
                if "id" in table.c:
                    key, owner = table.c.id, table.name
                else:  # a row keyed by its parent's id (a submission, a stored PDF)
                    key = next((c for c in table.primary_key.columns if c.foreign_keys), None)
                    owner = next(iter(key.foreign_keys)).column.table.name if key is not None else None
                if owner not in ranges:
                    continue
                if conn.execute(select(exists().where(key > end[owner]))).scalar():
                    continue  # the database wrote these itself, as the block's parents went in
                source = table.join(plan, true())
                values = {c.name: value(c) for c in table.c}
                if table.name == "certificates":
                    signed = self._sign(conn, table, ranges[table.name], len(copies))
                    source = table.join(signed, signed.c.id == table.c.id).join(plan, plan.c.k == signed.c.k)
                    values.update(code=signed.c.code, payload=signed.c.payload, signature=signed.c.signature)
                conn.execute(insert(table).from_select(list(values), select(*values.values()).select_from(source)
                                                       .where(key.between(*ranges[owner]))))
            plan.drop(conn)
        self.made += len(copies)
        first, span = moves["users"]
        self.log(f"  copied a block of {span} people {len(copies)} times")
        return [first + k * span for k in range(len(copies))]

    def _sign(self, conn, table, id_range, n_copies: int) -> Table:
        """Each copy's certificates: a new code, the payload with that code, signed with the instance key."""
        from app.certificates.services import signing_key

        key = signing_key()
        signed = Table("bench_signed", MetaData(), Column("k", Integer, primary_key=True),
                       Column("id", Integer, primary_key=True), Column("code", String(40)), Column("payload", Text),
                       Column("signature", String(120)), prefixes=["TEMPORARY"])
        signed.drop(conn, checkfirst=True)
        signed.create(conn)
        block = conn.execute(select(table.c.id, table.c.code, table.c.payload)
                             .where(table.c.id.between(*id_range))).all()
        rows = []
        for k in range(n_copies):
            for cid, code, payload in block:
                new = secrets.token_urlsafe(20)
                rows.append({"k": k, "id": cid, "code": new, "payload": (p := payload.replace(code, new)),
                             "signature": key.sign(p)})
            if len(rows) >= 20000 or k == n_copies - 1:
                conn.execute(insert(signed), rows)
                rows = []
        return signed

    def finish(self) -> None:
        """PostgreSQL: sequences past the copied ids, then VACUUM ANALYZE; SQLite: ANALYZE."""
        if self.engine.dialect.name != "postgresql":
            with self.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            return
        with self.engine.begin() as conn:
            for name in maxima(conn, self.metadata):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"))
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
