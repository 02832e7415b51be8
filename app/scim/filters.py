"""A SCIM filter as an SQL condition on people.

scim2-models parses the filter and checks it against app/scim/schema.py (SearchRequest.filter); this
walks the tree it made (its FilterVisitor) and names, for each attribute, the column that holds it.
Strings compare without regard to case, except externalId and the ids (caseExact); addresses compare
in the form PostReady stores them (app/accounts/emails.py). userName is the one SCIM sent, else (a person
SCIM never provisioned) the address; emails.value is always the address.
"""
from scim2_models import InvalidFilterException
from scim2_models.path import AttrPath, CompareOperator, FilterVisitor, LogicalOperator
from sqlalchemy import and_, exists, false, func, not_, or_, select, true

from app.accounts.emails import normalize_email
from app.accounts.models import Department, User
from app.scim.schema import ENTERPRISE_SCHEMA, USER_SCHEMA

_CORE, _EXT = USER_SCHEMA.lower() + ":", ENTERPRISE_SCHEMA.lower() + ":"
# attribute URN (lower case) -> (how its values compare, the column)
COLUMNS = {
    _CORE + "id": ("id", User.id),
    _CORE + "externalid": ("exact", User.external_id),
    _CORE + "username": ("username", func.coalesce(User.scim_user_name, User.email)),
    _CORE + "emails": ("email", User.email),
    _CORE + "emails.value": ("email", User.email),
    _CORE + "emails.type": ("work", None),  # the one address PostReady keeps is the work address
    _CORE + "displayname": ("text", User.full_name),
    _CORE + "name": ("text", User.full_name),
    _CORE + "name.formatted": ("text", User.full_name),
    _CORE + "active": ("boolean", User.active),
    _EXT + "employeenumber": ("text", User.employee_number),
    _EXT + "department": ("department", Department.name),
    _EXT + "manager": ("id", User.manager_id),
    _EXT + "manager.value": ("id", User.manager_id),
}
_STRING_OPS = {
    CompareOperator.eq: lambda c, v: c == v,
    CompareOperator.ne: lambda c, v: or_(c != v, c.is_(None)),
    CompareOperator.co: lambda c, v: c.contains(v, autoescape=True),
    CompareOperator.sw: lambda c, v: c.startswith(v, autoescape=True),
    CompareOperator.ew: lambda c, v: c.endswith(v, autoescape=True),
    CompareOperator.gt: lambda c, v: c > v,
    CompareOperator.ge: lambda c, v: c >= v,
    CompareOperator.lt: lambda c, v: c < v,
    CompareOperator.le: lambda c, v: c <= v,
}


_PYTHON_OPS = {
    CompareOperator.eq: lambda a, b: a == b, CompareOperator.ne: lambda a, b: a != b,
    CompareOperator.co: lambda a, b: b in a, CompareOperator.sw: lambda a, b: a.startswith(b),
    CompareOperator.ew: lambda a, b: a.endswith(b), CompareOperator.gt: lambda a, b: a > b,
    CompareOperator.ge: lambda a, b: a >= b, CompareOperator.lt: lambda a, b: a < b,
    CompareOperator.le: lambda a, b: a <= b,
}


def _unsupported(path, why: str) -> InvalidFilterException:
    return InvalidFilterException(detail=f"PostReady cannot filter on {path}: {why}.")


class SqlCondition(FilterVisitor):
    """One filter's condition; `scim_filter` is the bound ScimFilter, which resolves attribute names."""

    def __init__(self, scim_filter, within: AttrPath | None = None):
        self.scim_filter = scim_filter
        self.within = within  # inside emails[...]: the attribute its sub-attributes belong to

    def _column(self, attr_path: AttrPath, comparing: bool):
        if self.within is not None:
            attr_path = AttrPath(self.within.attr, attr_path.attr, self.within.uri)
        resolve = self.scim_filter.resolve_comparison if comparing else self.scim_filter.resolve
        binding = resolve(attr_path)
        found = COLUMNS.get(binding.urn.lower()) if binding is not None else None
        if found is None:
            raise _unsupported(attr_path, "it is not one of the attributes PostReady keeps")
        return found

    def visit_comparison(self, node):
        kind, column = self._column(node.attr_path, comparing=True)
        op, value = node.op, node.value
        if value is None:
            if op not in (CompareOperator.eq, CompareOperator.ne):
                raise _unsupported(node.attr_path, "only eq and ne compare with null")
            missing = self._present(kind, column, negate=True)
            return missing if op == CompareOperator.eq else not_(missing)
        if kind == "boolean":
            return column == value if op == CompareOperator.eq else column != value
        if kind == "id":
            if op not in (CompareOperator.eq, CompareOperator.ne):
                raise _unsupported(node.attr_path, "ids are only compared with eq and ne")
            text = str(value)
            equal = column == int(text) if text.isdigit() and len(text) <= 18 else false()
            return equal if op == CompareOperator.eq else or_(not_(equal), column.is_(None))
        if not isinstance(value, str):
            raise _unsupported(node.attr_path, "compare it with a quoted string")
        if kind == "work":  # a constant: compared here, not in SQL
            return true() if _PYTHON_OPS[op]("work", value.lower()) else false()
        if kind == "department":
            condition = _STRING_OPS[CompareOperator.eq if op == CompareOperator.ne else op](
                func.lower(column), value.lower())
            match = exists(select(Department.id).where(Department.id == User.department_id, condition))
            return not_(match) if op == CompareOperator.ne else match
        if kind == "username" and op in (CompareOperator.eq, CompareOperator.ne):
            equal = or_(func.lower(User.scim_user_name) == value.strip().lower(),
                        and_(User.scim_user_name.is_(None), User.email == normalize_email(value)))
            return equal if op == CompareOperator.eq else not_(equal)
        if kind == "email":
            value = normalize_email(value) if op in (CompareOperator.eq, CompareOperator.ne) else value.lower()
        elif kind in ("text", "username"):
            column, value = func.lower(column), value.lower()
        return _STRING_OPS[op](column, value)

    def _present(self, kind: str, column, negate: bool = False):
        if kind == "work":
            present = true()
        elif kind == "department":
            present = User.department_id.is_not(None)
        elif kind in ("boolean", "id"):
            present = column.is_not(None)
        else:
            present = and_(column.is_not(None), column != "")
        return not_(present) if negate else present

    def visit_present(self, node):
        return self._present(*self._column(node.attr_path, comparing=False))

    def visit_not(self, node):
        return not_(self.visit(node.expr))

    def visit_logical_expr(self, node):
        terms = [self.visit(term) for term in node.terms]
        return and_(*terms) if node.op == LogicalOperator.and_ else or_(*terms)

    def visit_value_path(self, node):
        if self.within is not None or node.attr_path.sub_attr is not None:
            raise _unsupported(node.attr_path, "filters cannot nest")
        return SqlCondition(self.scim_filter, within=node.attr_path).visit(node.val_filter)


def condition_for(scim_filter):
    """The SQL condition of a filter that scim2-models checked (None: everyone)."""
    return true() if scim_filter is None else SqlCondition(scim_filter).visit(scim_filter.ast)
