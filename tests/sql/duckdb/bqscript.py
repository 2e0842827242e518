"""A small interpreter that runs BigQuery scripts on DuckDB.

The procedural layer of a BigQuery script (DECLARE, SET, IF, WHILE, BEGIN ... EXCEPTION ... END,
BEGIN/COMMIT/ROLLBACK TRANSACTION, RAISE) is parsed here from a token stream and interpreted in
Python. Every plain SQL statement, and every expression of the procedural layer, is parsed by
sqlglot as BigQuery, rewritten as a tree (script variables become typed literals, GCP projects
become attached DuckDB catalogs, BigQuery-only DDL properties are dropped, UNNEST ... WITH OFFSET
becomes 0-based) and generated as DuckDB SQL, which DuckDB executes.

Nothing in here knows about bqflat: it runs any script made of the supported statements.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any, Callable

import duckdb
import sqlglot
from sqlglot import exp

# --------------------------------------------------------------------------------------------
# Tokens


@dataclasses.dataclass
class Tok:
    kind: str  # word, quoted (backtick), string, number, punct, sysvar, param
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


_STRING_PREFIX = re.compile(r"(?i)(r|b|rb|br)?('''|\"\"\"|'|\")")


def tokenize(src: str) -> list[Tok]:
    """BigQuery lexical structure, enough to find statement boundaries and keywords."""
    toks: list[Tok] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
            continue
        if src.startswith("--", i) or c == "#":
            j = src.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            if j < 0:
                raise ScriptSyntaxError("unterminated comment", src, i)
            i = j + 2
            continue
        m = _STRING_PREFIX.match(src, i)
        if m and (m.group(1) is None or not (i > 0 and (src[i - 1].isalnum() or src[i - 1] == "_"))):
            prefix = (m.group(1) or "").lower()
            quote = m.group(2)
            j = m.end()
            raw = "r" in prefix
            while True:
                if j >= n:
                    raise ScriptSyntaxError("unterminated string", src, i)
                if src[j] == "\\" and not raw:
                    j += 2
                    continue
                if src.startswith(quote, j):
                    j += len(quote)
                    break
                if len(quote) == 1 and src[j] == "\n":
                    raise ScriptSyntaxError("newline in string", src, i)
                j += 1
            toks.append(Tok("string", src[i:j], i, j))
            i = j
            continue
        if c == "`":
            j = i + 1
            while j < n and src[j] != "`":
                j += 2 if src[j] == "\\" else 1
            if j >= n:
                raise ScriptSyntaxError("unterminated quoted identifier", src, i)
            toks.append(Tok("quoted", src[i : j + 1], i, j + 1))
            i = j + 1
            continue
        if src.startswith("@@", i):
            m2 = re.compile(r"@@[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*").match(src, i)
            if not m2:
                raise ScriptSyntaxError("bad system variable", src, i)
            toks.append(Tok("sysvar", m2.group(0), i, m2.end()))
            i = m2.end()
            continue
        if c.isalpha() or c == "_":
            m2 = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(src, i)
            toks.append(Tok("word", m2.group(0), i, m2.end()))
            i = m2.end()
            continue
        if c.isdigit():
            m2 = re.compile(r"[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?").match(src, i)
            toks.append(Tok("number", m2.group(0), i, m2.end()))
            i = m2.end()
            continue
        toks.append(Tok("punct", c, i, i + 1))
        i += 1
    return toks


class ScriptSyntaxError(Exception):
    def __init__(self, msg: str, src: str, pos: int):
        line = src.count("\n", 0, pos) + 1
        super().__init__(f"line {line}: {msg}")


# --------------------------------------------------------------------------------------------
# Procedural statements


@dataclasses.dataclass
class Stmt:
    text: str  # the statement's source text (for messages)
    line: int


@dataclasses.dataclass
class Sql(Stmt):
    pass


@dataclasses.dataclass
class Declare(Stmt):
    names: list[str]
    type: str | None
    default: str | None


@dataclasses.dataclass
class SetVar(Stmt):
    name: str
    expr: str


@dataclasses.dataclass
class If(Stmt):
    branches: list[tuple[str, list[Stmt]]]
    orelse: list[Stmt] | None


@dataclasses.dataclass
class While(Stmt):
    cond: str
    body: list[Stmt]


@dataclasses.dataclass
class Block(Stmt):
    body: list[Stmt]
    handler: list[Stmt] | None


@dataclasses.dataclass
class Txn(Stmt):
    op: str  # BEGIN, COMMIT, ROLLBACK


@dataclasses.dataclass
class Return(Stmt):
    pass


class _Returned(Exception):
    """RETURN: the script stops here, successfully (BigQuery: "stops execution of the script")."""


@dataclasses.dataclass
class Raise(Stmt):
    message: str | None


_BLOCK_END = {"END", "ELSE", "ELSEIF", "EXCEPTION"}


class _Parser:
    def __init__(self, src: str):
        self.src = src
        self.toks = tokenize(src)
        self.i = 0

    def err(self, msg: str) -> ScriptSyntaxError:
        pos = self.toks[self.i].start if self.i < len(self.toks) else len(self.src)
        return ScriptSyntaxError(msg, self.src, pos)

    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def word(self, k: int = 0) -> str:
        t = self.peek(k)
        return t.upper if t else ""

    def expect_word(self, *words: str) -> None:
        for w in words:
            if self.word() != w:
                raise self.err(f"expected {w}")
            self.i += 1

    def expect_semicolon(self) -> None:
        t = self.peek()
        if t is None or t.text != ";":
            raise self.err("expected ;")
        self.i += 1

    def line_of(self, tok: Tok) -> int:
        return self.src.count("\n", 0, tok.start) + 1

    def until(self, stop: Callable[[Tok], bool], track_case: bool = False) -> tuple[int, int]:
        """Consumes tokens up to (not including) the first one at depth 0 that `stop` accepts;
        returns the token index range."""
        start = self.i
        depth = 0
        case = 0
        while self.i < len(self.toks):
            t = self.toks[self.i]
            if depth == 0 and case == 0 and stop(t):
                return start, self.i
            if t.text in "([":
                depth += 1
            elif t.text in ")]":
                depth -= 1
            elif track_case and t.upper == "CASE":
                case += 1
            elif track_case and t.upper == "END" and case > 0:
                case -= 1
            self.i += 1
        raise self.err("unexpected end of script")

    def text(self, a: int, b: int) -> str:
        if a >= b:
            return ""
        return self.src[self.toks[a].start : self.toks[b - 1].end]

    def parse_script(self) -> list[Stmt]:
        body = self.parse_block()
        if self.i < len(self.toks):
            raise self.err(f"unexpected {self.toks[self.i].text}")
        return body

    def parse_block(self) -> list[Stmt]:
        out: list[Stmt] = []
        while self.i < len(self.toks):
            t = self.toks[self.i]
            if t.text == ";":
                self.i += 1
                continue
            if t.upper in _BLOCK_END:
                break
            out.append(self.parse_statement())
        return out

    def parse_statement(self) -> Stmt:
        first = self.toks[self.i]
        line = self.line_of(first)
        w = first.upper
        semi = lambda t: t.text == ";"  # noqa: E731
        if w == "DECLARE":
            start = self.i
            self.i += 1
            a, b = self.until(semi)
            self.i += 1
            toks = self.toks[a:b]
            names = []
            k = 0
            while k < len(toks):
                names.append(toks[k].text.strip("`"))
                k += 1
                if k < len(toks) and toks[k].text == ",":
                    k += 1
                    continue
                break
            rest = toks[k:]
            d = next((j for j, t in enumerate(rest) if t.upper == "DEFAULT"), None)
            ty = rest if d is None else rest[:d]
            ty_text = self.src[ty[0].start : ty[-1].end] if ty else None
            default = None
            if d is not None:
                dt_ = rest[d + 1 :]
                default = self.src[dt_[0].start : dt_[-1].end]
            return Declare(self.text(start, b), line, names, ty_text, default)
        if w == "SET":
            start = self.i
            self.i += 1
            name_tok = self.toks[self.i]
            if name_tok.kind not in ("word", "quoted"):
                raise self.err("SET supports one variable")
            self.i += 1
            if self.toks[self.i].text != "=":
                raise self.err("expected =")
            self.i += 1
            a, b = self.until(semi)
            self.i += 1
            return SetVar(self.text(start, b), line, name_tok.text.strip("`"), self.text(a, b))
        if w == "IF":
            start = self.i
            self.i += 1
            branches = []
            orelse = None
            a, b = self.until(lambda t: t.upper == "THEN", track_case=True)
            self.i += 1
            branches.append((self.text(a, b), self.parse_block()))
            while True:
                if self.word() == "ELSEIF":
                    self.i += 1
                    a, b = self.until(lambda t: t.upper == "THEN", track_case=True)
                    self.i += 1
                    branches.append((self.text(a, b), self.parse_block()))
                elif self.word() == "ELSE":
                    self.i += 1
                    orelse = self.parse_block()
                else:
                    break
            self.expect_word("END", "IF")
            end = self.i
            self.expect_semicolon()
            return If(self.text(start, end), line, branches, orelse)
        if w == "WHILE":
            start = self.i
            self.i += 1
            a, b = self.until(lambda t: t.upper == "DO", track_case=True)
            self.i += 1
            body = self.parse_block()
            self.expect_word("END", "WHILE")
            end = self.i
            self.expect_semicolon()
            return While(self.text(start, end), line, self.text(a, b), body)
        if w == "BEGIN":
            start = self.i
            if self.word(1) == "TRANSACTION":
                self.i += 2
                self.expect_semicolon()
                return Txn(self.text(start, self.i - 1), line, "BEGIN")
            self.i += 1
            body = self.parse_block()
            handler = None
            if self.word() == "EXCEPTION":
                self.expect_word("EXCEPTION", "WHEN", "ERROR", "THEN")
                handler = self.parse_block()
            self.expect_word("END")
            end = self.i
            self.expect_semicolon()
            return Block(self.text(start, end), line, body, handler)
        if w in ("COMMIT", "ROLLBACK"):
            start = self.i
            self.i += 1
            if self.word() == "TRANSACTION":
                self.i += 1
            end = self.i
            self.expect_semicolon()
            return Txn(self.text(start, end), line, w)
        if w == "RAISE":
            start = self.i
            self.i += 1
            msg = None
            if self.word() == "USING":
                self.expect_word("USING", "MESSAGE")
                if self.toks[self.i].text != "=":
                    raise self.err("expected =")
                self.i += 1
                a, b = self.until(semi)
                msg = self.text(a, b)
            end = self.i
            self.expect_semicolon()
            return Raise(self.text(start, end), line, msg)
        if w == "RETURN":
            start = self.i
            self.i += 1
            self.expect_semicolon()
            return Return(self.text(start, start + 1), line)
        if w in ("LOOP", "REPEAT", "FOR", "CALL", "EXECUTE", "BREAK", "LEAVE", "CONTINUE", "ITERATE", "CASE"):
            raise self.err(f"{w} is not supported by this interpreter")
        a, b = self.until(semi)
        self.i += 1
        return Sql(self.text(a, b), line)


def parse_script(src: str) -> list[Stmt]:
    return _Parser(src).parse_script()


# --------------------------------------------------------------------------------------------
# Execution


class ScriptError(Exception):
    """An error raised while running a script: where, what, and the DuckDB SQL sent."""

    def __init__(self, message: str, stmt: Stmt | None = None, duck_sql: str | None = None,
                 raised: bool = False, cause: "ScriptError | None" = None):
        super().__init__(message)
        self.message = message
        self.stmt = stmt
        self.duck_sql = duck_sql
        self.raised = raised  # a RAISE of the script itself
        self.cause = cause  # for a RAISE in an exception handler: the error it handles

    def describe(self, path: str = "") -> str:
        out = [f"{path}:{self.stmt.line if self.stmt else '?'}: {self.message}"] + self._where()
        if self.cause is not None and self.cause is not self:
            out.append(f"  raised by the exception handler; the error it handled is from line {self.cause.stmt.line if self.cause.stmt else '?'}:")
            out.extend("  " + line for line in self.cause._where())
        return "\n".join(out)

    def _where(self) -> list[str]:
        out = []
        if self.stmt is not None:
            out.append("  statement (BigQuery): " + _shorten(self.stmt.text))
        if self.duck_sql:
            out.append("  sent to DuckDB: " + _shorten(self.duck_sql))
        return out


def _shorten(s: str, limit: int = 1500) -> str:
    s = s.strip()
    return s if len(s) <= limit else s[:limit] + f" ... [{len(s) - limit} more characters]"


@dataclasses.dataclass
class Var:
    type: str | None  # BigQuery type text, upper case (None: inferred)
    value: Any


_BQ_TO_DUCK = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMPTZ",
    "NUMERIC": "DECIMAL(38,9)",
    "BYTES": "BLOB",
}


def literal_for(value: Any, bq_type: str | None) -> exp.Expression:
    """A BigQuery-dialect literal of a script variable's value (typed, so NULLs keep their type)."""
    ty = (bq_type or _infer_type(value) or "STRING").upper()
    if value is None:
        return exp.Cast(this=exp.Null(), to=exp.DataType.build(ty, dialect="bigquery"))
    m = re.fullmatch(r"ARRAY\s*<\s*(.+?)\s*>", ty)
    if m:
        # BigQuery arrays never hold NULLs; an empty array keeps its element type.
        elems = [literal_for(v, m.group(1)) for v in value]
        return exp.Cast(this=exp.Array(expressions=elems), to=exp.DataType.build(ty, dialect="bigquery"))
    if ty == "STRING":
        return exp.Literal.string(str(value))
    if ty == "INT64":
        return exp.Literal.number(int(value))
    if ty == "FLOAT64":
        return exp.Cast(this=exp.Literal.string(repr(float(value))), to=exp.DataType.build("FLOAT64", dialect="bigquery"))
    if ty == "BOOL":
        return exp.Boolean(this=bool(value))
    if ty == "DATE":
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE", dialect="bigquery"))
    if ty == "TIMESTAMP":
        v = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        v = v.astimezone(dt.timezone.utc)
        return exp.Cast(
            this=exp.Literal.string(v.strftime("%Y-%m-%d %H:%M:%S.%f+00")),
            to=exp.DataType.build("TIMESTAMP", dialect="bigquery"),
        )
    raise TypeError(f"no literal for {ty}")


def _infer_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, dt.datetime):
        return "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list) and value:
        inner = {_infer_type(v) for v in value}
        if len(inner) == 1 and None not in inner:
            return f"ARRAY<{inner.pop()}>"
    return None


@dataclasses.dataclass
class Stats:
    statements: int = 0  # statements executed (each loop iteration counts again)
    sql: int = 0  # statements sent to DuckDB (plain SQL and expression evaluations)


class Interpreter:
    """Runs parsed scripts on one DuckDB connection.

    `today` pins CURRENT_DATE() (and nothing else) so scripts whose defaults depend on the date
    give the same result every day.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, today: dt.date | None = None, trace: bool = False):
        self.con = con
        self.today = today
        self.trace = trace
        self.stats = Stats()
        self.vars: dict[str, Var] = {}
        self.row_count: int | None = None
        self.error_message: str | None = None
        self.error_cause: ScriptError | None = None
        self.in_txn = False
        self.txn_failed = False  # a statement failed inside the open transaction
        self.catalogs: set[str] = {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        for macro in _MACROS:
            con.execute(macro)
        self._ast_cache: dict[str, exp.Expression] = {}
        self._last_description = None
        self.last_rows: list[tuple] = []
        self.last_columns: list[str] = []
        # BigQuery table partitioning, which DuckDB has no notion of: (catalog, schema, table)
        # (lower case) -> the DuckDB SQL of the partition day, from CREATE TABLE ... PARTITION BY
        # (kept by CREATE ... COPY, forgotten by DROP and by a CREATE without PARTITION BY).
        # INFORMATION_SCHEMA.PARTITIONS groups a table's rows by it.
        self.partitioning: dict[tuple[str, str, str], str] = {}
        self.temp_tables: set[str] = set()  # CREATE TEMP TABLE of the running script

    # -- catalogs ---------------------------------------------------------------------------

    def ensure_catalog(self, name: str) -> None:
        if name not in self.catalogs:
            # attached since (by the caller, e.g. a fixture loading the export)?
            self.catalogs |= {r[0] for r in self.con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        if name not in self.catalogs:
            if self.in_txn:
                raise ScriptError(f"project {name!r} first used inside a transaction")
            self.con.execute(f'ATTACH \':memory:\' AS "{name}"')
            self.catalogs.add(name)

    # -- running ----------------------------------------------------------------------------

    def run(self, src: str) -> None:
        self.vars = {}
        self.row_count = None
        self.error_message = None
        self.error_cause = None
        try:
            stmts = parse_script(src)
        except ScriptSyntaxError as e:
            raise ScriptError(f"script syntax: {e}") from None
        try:
            self.exec_block(stmts)
        except _Returned:
            pass
        finally:
            if self.in_txn:
                # A script that ends inside a transaction: BigQuery rolls it back.
                self.con.execute("ROLLBACK")
                self.in_txn = False
            # Temporary tables live as long as the script (BigQuery: the script's session).
            for name in sorted(self.temp_tables):
                self.con.execute(f'DROP TABLE IF EXISTS temp.main."{name}"')
                self.partitioning.pop(("", "", name.lower()), None)
            self.temp_tables = set()

    def exec_block(self, stmts: list[Stmt]) -> None:
        for s in stmts:
            self.exec_stmt(s)

    def exec_stmt(self, s: Stmt) -> None:
        self.stats.statements += 1
        if isinstance(s, Sql):
            self.exec_sql(s)
        elif isinstance(s, Declare):
            for name in s.names:
                key = name.lower()
                if key in self.vars:
                    raise ScriptError(f"variable {name} declared twice", s)
                ty = s.type.upper() if s.type else None
                value = self.eval_expr(s.default, ty, s) if s.default is not None else None
                self.vars[key] = Var(ty, value)
        elif isinstance(s, SetVar):
            key = s.name.lower()
            if key not in self.vars:
                raise ScriptError(f"SET of undeclared variable {s.name}", s)
            var = self.vars[key]
            var.value = self.eval_expr(s.expr, var.type, s)
        elif isinstance(s, If):
            for cond, body in s.branches:
                if self.eval_expr(cond, "BOOL", s) is True:
                    self.exec_block(body)
                    return
            if s.orelse is not None:
                self.exec_block(s.orelse)
        elif isinstance(s, While):
            guard = 0
            while self.eval_expr(s.cond, "BOOL", s) is True:
                guard += 1
                if guard > 100_000:
                    raise ScriptError("WHILE loop ran 100000 times", s)
                self.exec_block(s.body)
        elif isinstance(s, Block):
            if s.handler is None:
                self.exec_block(s.body)
                return
            try:
                self.exec_block(s.body)
            except ScriptError as e:
                # BigQuery: the handler runs with @@error.message set; a transaction the block
                # started is still open (and must be rolled back by the handler).
                self.error_message = e.message
                self.error_cause = e
                self.exec_block(s.handler)
        elif isinstance(s, Txn):
            self.exec_txn(s)
        elif isinstance(s, Return):
            raise _Returned()
        elif isinstance(s, Raise):
            msg = self.eval_expr(s.message, "STRING", s) if s.message is not None else self.error_message
            raise ScriptError(str(msg), s, raised=True, cause=self.error_cause)
        else:  # pragma: no cover
            raise ScriptError(f"unknown statement {type(s).__name__}", s)

    def exec_txn(self, s: Txn) -> None:
        if s.op == "BEGIN":
            if self.in_txn:
                raise ScriptError("Nested transactions are not supported", s)
            self._duck("BEGIN TRANSACTION", s)
            self.in_txn = True
            self.txn_failed = False
        elif s.op == "COMMIT":
            if not self.in_txn:
                raise ScriptError("COMMIT without an active transaction", s)
            self.in_txn = False
            if self.txn_failed:
                # BigQuery keeps the statements that ran before the failed one and would commit
                # them; DuckDB has aborted the whole transaction and would silently roll back.
                # Neither can be reproduced faithfully, so this is an error of its own.
                self._duck("ROLLBACK", s)
                raise ScriptError(
                    "COMMIT TRANSACTION after a statement of the transaction failed: BigQuery would commit "
                    "the statements before the failure (DuckDB cannot reproduce that)", s)
            self._duck("COMMIT", s)
        else:
            if not self.in_txn:
                raise ScriptError("ROLLBACK without an active transaction", s)
            self.in_txn = False
            self._duck("ROLLBACK", s)

    def _duck(self, sql: str, s: Stmt) -> list[tuple]:
        self.stats.sql += 1
        if self.trace:
            print(f"    [duckdb] {_shorten(sql, 300)}")
        try:
            cur = self.con.execute(sql)
            self._last_description = cur.description
            return cur.fetchall() if cur.description else []
        except duckdb.Error as e:
            if self.in_txn:
                self.txn_failed = True
            raise ScriptError(f"{type(e).__name__}: {e}", s, sql) from None

    # -- SQL --------------------------------------------------------------------------------

    def parse(self, sql: str, s: Stmt) -> exp.Expression:
        tree = self._ast_cache.get(sql)
        if tree is None:
            try:
                trees = sqlglot.parse(sql, read="bigquery")
            except sqlglot.errors.ParseError as e:
                raise ScriptError(f"sqlglot cannot parse the statement as BigQuery: {e}", s) from None
            if len(trees) != 1 or trees[0] is None:
                raise ScriptError("expected exactly one SQL statement", s)
            tree = static_rewrite(trees[0])
            self._ast_cache[sql] = tree
        return tree.copy()

    def to_duck(self, tree: exp.Expression, s: Stmt) -> str:
        tree = self.bind(tree, s)
        tree = self.information_schema(tree, s)
        for t in tree.find_all(exp.Table):
            if t.catalog:
                self.ensure_catalog(t.catalog)
            elif isinstance(tree, exp.Create) and tree.kind == "SCHEMA" and t.db:
                self.ensure_catalog(t.db)
        try:
            return tree.sql(dialect="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.UnsupportedError as e:
            raise ScriptError(f"sqlglot cannot translate the statement to DuckDB: {e}", s) from None

    def exec_sql(self, s: Sql) -> None:
        tree = self.parse(s.text, s)
        ddl = self._before_ddl(tree, s)
        duck = self.to_duck(tree, s)
        rows = self._duck(duck, s)
        if ddl is not None:
            self._after_ddl(tree, *ddl)
        if isinstance(tree, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
            self.row_count = int(rows[0][0]) if rows else 0
        # The result of the last statement, as `bq query` would print it: rows and column names.
        self.last_rows = rows
        self.last_columns = [d[0] for d in self._last_description or []]

    # -- DDL bookkeeping: temp tables and partitioning ------------------------------------

    def table_exists(self, key: tuple[str, str, str]) -> bool:
        cat, db, name = key
        if not cat:
            sql = "SELECT 1 FROM duckdb_tables() WHERE temporary AND lower(table_name) = ?"
            return bool(self.con.execute(sql, [name]).fetchall())
        sql = ("SELECT 1 FROM duckdb_tables() WHERE lower(database_name) = ? AND lower(schema_name) = ? "
               "AND lower(table_name) = ?")
        return bool(self.con.execute(sql, [cat, db, name]).fetchall())

    def _before_ddl(self, tree: exp.Expression, s: Stmt):
        if isinstance(tree, exp.Create) and tree.kind == "TABLE":
            tbl = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            temp = bool(tree.meta.get("bq_temp"))
            if temp and (tbl.args.get("db") is not None or tbl.args.get("catalog") is not None):
                raise ScriptError("a temporary table takes an unqualified name", s)
            key = _table_key(tbl)
            return ("create", key, self.table_exists(key), temp, tbl.name)
        if isinstance(tree, exp.Drop) and (tree.args.get("kind") or "").upper() == "TABLE":
            return ("drop", [_table_key(t) for t in tree.find_all(exp.Table)], False, False, "")
        return None

    def _after_ddl(self, tree: exp.Expression, op: str, key, existed: bool, temp: bool, name: str) -> None:
        if op == "drop":
            for k in key:
                self.partitioning.pop(k, None)
                if not k[0]:
                    self.temp_tables = {t for t in self.temp_tables if t.lower() != k[2]}
            return
        if tree.args.get("exists") and existed:
            return  # CREATE TABLE IF NOT EXISTS of an existing table changes nothing
        if temp:
            self.temp_tables.add(name)
        part = tree.meta.get("bq_partition")
        copy_of = tree.meta.get("bq_copy_of")
        if part is not None:
            self.partitioning[key] = part
        elif copy_of is not None and copy_of in self.partitioning:
            self.partitioning[key] = self.partitioning[copy_of]
        else:
            self.partitioning.pop(key, None)

    # -- INFORMATION_SCHEMA -----------------------------------------------------------------

    def information_schema(self, tree: exp.Expression, s: Stmt) -> exp.Expression:
        """`project.dataset.INFORMATION_SCHEMA.TABLES` / `.PARTITIONS` become a subquery of the
        rows BigQuery would show, computed now from DuckDB's catalog (and, for PARTITIONS, the
        remembered partitioning and the tables' rows)."""
        for t in list(tree.find_all(exp.Table)):
            view = t.name.upper()
            if view not in ("INFORMATION_SCHEMA.TABLES", "INFORMATION_SCHEMA.PARTITIONS"):
                continue
            cat, db = t.catalog, t.db
            if not cat or not db:
                raise ScriptError(f"{t.name} needs a project and a dataset (`project.dataset.{t.name}`)", s)
            sql = self._info_tables(cat, db, s) if view.endswith("TABLES") else self._info_partitions(cat, db, s)
            sub = exp.Subquery(this=sqlglot.parse_one(sql, read="duckdb"),
                               alias=t.args.get("alias") or exp.TableAlias(this=exp.to_identifier(view.split(".")[1])))
            if t is tree:
                return sub
            t.replace(sub)
        return tree

    def _dataset_tables(self, cat: str, db: str, s: Stmt) -> list[tuple[str, str]]:
        if not self.con.execute("SELECT 1 FROM duckdb_schemas() WHERE database_name = ? AND schema_name = ?", [cat, db]).fetchall():
            raise ScriptError(f"Not found: Dataset {cat}:{db} was not found", s)
        rows = self.con.execute(
            "SELECT table_name, 'BASE TABLE' FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
            "UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() WHERE database_name = ? AND schema_name = ? "
            "AND NOT internal ORDER BY 1", [cat, db, cat, db]).fetchall()
        # `events_*` is the fixture's stand-in for BigQuery's wildcard table, not a table.
        return [(n, ty) for n, ty in rows if "*" not in n]

    def _info_tables(self, cat: str, db: str, s: Stmt) -> str:
        rows = [(cat, db, n, ty) for n, ty in self._dataset_tables(cat, db, s)]
        cols = [("table_catalog", "VARCHAR"), ("table_schema", "VARCHAR"), ("table_name", "VARCHAR"), ("table_type", "VARCHAR")]
        return _values_select(cols, rows)

    def _info_partitions(self, cat: str, db: str, s: Stmt) -> str:
        rows = []
        for n, ty in self._dataset_tables(cat, db, s):
            if ty != "BASE TABLE":
                continue
            ref = f'"{cat}"."{db}"."{n}"'
            part = self.partitioning.get((cat.lower(), db.lower(), n.lower()))
            if part is None:
                # An unpartitioned table: one row, partition_id NULL.
                rows.append((cat, db, n, None, self.con.execute(f"SELECT COUNT(*) FROM {ref}").fetchone()[0]))
                continue
            got = self.con.execute(
                f"SELECT COALESCE(strftime(CAST(({part}) AS DATE), '%Y%m%d'), '__NULL__') AS p, COUNT(*) "
                f"FROM {ref} GROUP BY 1 ORDER BY 1").fetchall()
            rows.extend((cat, db, n, pid, cnt) for pid, cnt in got)
        cols = [("table_catalog", "VARCHAR"), ("table_schema", "VARCHAR"), ("table_name", "VARCHAR"),
                ("partition_id", "VARCHAR"), ("total_rows", "BIGINT")]
        return _values_select(cols, rows)

    def eval_expr(self, expr_sql: str, ty: str | None, s: Stmt) -> Any:
        """Evaluates one expression with DuckDB; coerced to the variable's type like BigQuery."""
        sel = f"SELECT {expr_sql}" if ty is None else f"SELECT CAST(({expr_sql}) AS {ty})"
        tree = self.parse(sel, s)
        duck = self.to_duck(tree, s)
        rows = self._duck(duck, s)
        if len(rows) != 1:
            raise ScriptError(f"expression gave {len(rows)} rows", s, duck)
        v = rows[0][0]
        if isinstance(v, dt.datetime) and v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v

    def bind(self, tree: exp.Expression, s: Stmt) -> exp.Expression:
        """Replaces script and system variables by typed literals; pins CURRENT_DATE()."""

        def repl(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Dot) and isinstance(node.this, exp.Parameter):
                name = _sysvar_name(node.this)
                if name == "error" and node.expression.name.lower() == "message":
                    return literal_for(self.error_message, "STRING")
            if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Parameter):
                name = _sysvar_name(node)
                if name == "row_count":
                    return literal_for(self.row_count, "INT64")
                raise ScriptError(f"unsupported system variable @@{name}", s)
            if isinstance(node, exp.Column) and not node.table:
                var = self.vars.get(node.name.lower())
                if var is not None and not isinstance(node.this, exp.Star):
                    return literal_for(var.value, var.type)
            if isinstance(node, exp.CurrentDate) and self.today is not None and not node.this:
                return literal_for(self.today, "DATE")
            return node

        return tree.transform(repl, copy=False)


def _table_key(t: exp.Table) -> tuple[str, str, str]:
    """(catalog, schema, table), lower case; a temporary table's (unqualified) is ('', '', name)."""
    return (t.catalog.lower(), t.db.lower(), t.name.lower())


def _sql_literal(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _values_select(cols: list[tuple[str, str]], rows: list[tuple]) -> str:
    """A DuckDB SELECT of constant rows with typed columns (no rows: one typed row filtered out)."""
    def one(r):
        return "SELECT " + ", ".join(f"CAST({_sql_literal(v)} AS {ty}) AS {name}" for (name, ty), v in zip(cols, r))
    if not rows:
        return one([None] * len(cols)) + " WHERE FALSE"
    return " UNION ALL ".join(one(r) for r in rows)


def _sysvar_name(p: exp.Parameter) -> str:
    inner = p.this
    while isinstance(inner, exp.Parameter):
        inner = inner.this
    return inner.name.lower()


# --------------------------------------------------------------------------------------------
# Static rewrites (once per statement): BigQuery -> a tree DuckDB can run


def static_rewrite(tree: exp.Expression) -> exp.Expression:
    _drop_bigquery_table_properties(tree)
    _split_schema_name(tree)
    _zero_based_offsets(tree)
    _bigquery_casts_to_string(tree)
    _bigquery_bytes(tree)
    _safe_functions(tree)
    _format_as_printf(tree)
    _countif_of_no_rows(tree)
    return tree


def _countif_of_no_rows(tree: exp.Expression) -> None:
    """BigQuery's COUNTIF over no rows is 0; DuckDB's COUNT_IF is NULL."""
    for node in list(tree.find_all(exp.CountIf)):
        outer = node.parent if isinstance(node.parent, exp.Window) else node
        outer.replace(exp.Coalesce(this=outer.copy(), expressions=[exp.Literal.number(0)]))


def _format_as_printf(tree: exp.Expression) -> None:
    """BigQuery's FORMAT takes printf specifiers (`%d`, `%s`); DuckDB's FORMAT takes `{}`, and
    its printf takes the specifiers BigQuery's do. (`%t` and `%T` are BigQuery's own: not
    supported.)"""
    for node in list(tree.find_all(exp.Format)):
        node.replace(exp.Anonymous(this="printf", expressions=[node.this, *node.expressions]))


def _safe_functions(tree: exp.Expression) -> None:
    """`SAFE.PARSE_DATE(...)` (NULL instead of an error): sqlglot keeps the SAFE. prefix, which
    DuckDB cannot run (`SAFE.CAST(STRPTIME(...))`); a function with a `safe` flag gets it set
    (PARSE_DATE -> TRY_STRPTIME) and loses the prefix. Others are left for DuckDB to reject."""
    for node in list(tree.find_all(exp.SafeFunc)):
        inner = node.this
        if isinstance(inner, exp.Func) and "safe" in inner.arg_types:
            inner.set("safe", True)
            node.replace(inner)


# One well-formed UTF-8 sequence, as upper-case hex.
_UTF8_HEX = ("(?:[0-7][0-9A-F]|(?:C[2-9A-F]|D[0-9A-F])[89AB][0-9A-F]|E0[AB][0-9A-F][89AB][0-9A-F]"
             "|E[1-9A-CEF](?:[89AB][0-9A-F]){2}|ED[89][0-9A-F][89AB][0-9A-F]"
             "|F0[9AB][0-9A-F](?:[89AB][0-9A-F]){2}|F[1-3](?:[89AB][0-9A-F]){3}|F48[0-9A-F](?:[89AB][0-9A-F]){2})")

# DuckDB macros the rewritten statements call (created on the interpreter's connection).
_MACROS = [
    # CAST(FLOAT64 AS STRING) as BigQuery prints it: 15 significant digits when they round-trip,
    # else 17 (`%g` style: `3` for 3.0, `1e+20`), `0` for either zero, `nan`, `inf`, `-inf`.
    # DuckDB prints the shortest round-trip form with a `.0` (`3.0`).
    """CREATE OR REPLACE TEMP MACRO bq_float_string(x) AS CASE
         WHEN isnan(x) THEN 'nan'
         WHEN isinf(x) THEN CASE WHEN x > 0 THEN 'inf' ELSE '-inf' END
         WHEN x = 0 THEN '0'
         WHEN CAST(printf('%.15g', x) AS DOUBLE) = x THEN printf('%.15g', x)
         ELSE printf('%.17g', x) END""",
    # The operand's type is known only to DuckDB: dispatch on it (every branch binds for any
    # type; typeof is constant per expression).
    """CREATE OR REPLACE TEMP MACRO bq_cast_string(x) AS CASE
         WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN bq_float_string(TRY_CAST(CAST(x AS VARCHAR) AS DOUBLE))
         ELSE CAST(x AS VARCHAR) END""",
    # BYTES (see _bigquery_bytes); NULL elements of the array are skipped, as BigQuery does.
    """CREATE OR REPLACE TEMP MACRO bq_cast_bytes(x) AS CASE
         WHEN typeof(x) = 'BLOB' THEN CAST(x AS BLOB) ELSE encode(CAST(x AS VARCHAR)) END""",
    """CREATE OR REPLACE TEMP MACRO bq_join_bytes(l, sep) AS CASE
         WHEN l IS NULL OR sep IS NULL THEN NULL
         WHEN len(list_filter(l, lambda x: x IS NOT NULL)) = 0 THEN CAST('' AS BLOB)
         ELSE list_reduce(list_filter(l, lambda x: x IS NOT NULL), lambda a, b: a || sep || b) END""",
    # SAFE_CONVERT_BYTES_TO_STRING: each byte outside a valid UTF-8 sequence becomes U+FFFD (EF BF
    # BD), so decode() never fails (TRY cannot wrap the scalar subqueries the argument may hold).
    # The hex pairs are read as well-formed UTF-8 sequences (RFC 3629) or single bytes.
    f"""CREATE OR REPLACE TEMP MACRO bq_bytes_to_string(b) AS CASE WHEN b IS NULL THEN NULL ELSE
         decode(unhex(array_to_string(list_transform(regexp_extract_all(hex(b), '{_UTF8_HEX}|[0-9A-F]{{2}}'),
           lambda t: CASE WHEN regexp_full_match(t, '{_UTF8_HEX}') THEN t ELSE 'EFBFBD' END), ''))) END""",
]


def _bigquery_casts_to_string(tree: exp.Expression) -> None:
    """CAST(x AS STRING) (and SAFE_CAST) becomes bq_cast_string(x): a FLOAT64 prints as in
    BigQuery (`3`, not DuckDB's `3.0`); every other type casts as before."""
    for node in list(tree.find_all(exp.Cast)):
        if node.to.is_type("text"):
            node.replace(exp.Anonymous(this="bq_cast_string", expressions=[node.this]))


def _bigquery_bytes(tree: exp.Expression) -> None:
    """BYTES built from STRINGs: CAST(x AS BYTES) is x's UTF-8 (DuckDB's CAST to BLOB reads
    `\\x..` escapes instead), ARRAY_TO_STRING with a BYTES separator joins BYTES (DuckDB's
    joins their printed forms), SAFE_CONVERT_BYTES_TO_STRING reads UTF-8, invalid bytes as
    U+FFFD."""
    for node in list(tree.find_all(exp.Cast)):
        if node.to.is_type("binary", "varbinary", "blob"):
            node.replace(exp.Anonymous(this="bq_cast_bytes", expressions=[node.this]))
    for node in list(tree.find_all(exp.ArrayToString)):
        sep = node.args.get("expression")
        if isinstance(sep, exp.ByteString):
            node.replace(exp.Anonymous(this="bq_join_bytes", expressions=[node.this, sep]))
    for node in list(tree.find_all(exp.Func)):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
        if name.upper() == "SAFE_CONVERT_BYTES_TO_STRING":
            node.replace(exp.Anonymous(this="bq_bytes_to_string", expressions=list(node.expressions) or [node.this]))


def _drop_bigquery_table_properties(tree: exp.Expression) -> None:
    """PARTITION BY, CLUSTER BY and OPTIONS (table and column) mean nothing to DuckDB. The
    partition expression is kept in the tree's meta (`bq_partition`, as the DuckDB SQL of the
    partition's DATE) for INFORMATION_SCHEMA.PARTITIONS; TEMP stays (`bq_temp`). `CREATE TABLE a
    COPY b` (and CLONE) becomes `CREATE TABLE a AS SELECT * FROM b` (`bq_copy_of`: b's key)."""
    if not isinstance(tree, exp.Create):
        return
    clone = tree.args.get("clone")
    if clone is not None and tree.kind == "TABLE":
        src = clone.this
        tree.meta["bq_copy_of"] = _table_key(src)
        tree.set("clone", None)
        tree.set("expression", exp.select("*").from_(src.copy()))
    props = tree.args.get("properties")
    if props is not None:
        for p in props.expressions:
            if isinstance(p, exp.PartitionedByProperty):
                tree.meta["bq_partition"] = exp.Cast(this=p.this.copy(), to=exp.DataType.build("DATE")).sql(dialect="duckdb")
            if isinstance(p, exp.TemporaryProperty):
                tree.meta["bq_temp"] = True
        keep = [
            p
            for p in props.expressions
            if isinstance(p, exp.TemporaryProperty)
            or not isinstance(p, (exp.PartitionedByProperty, exp.ClusterProperty, exp.Property))
        ]
        if keep:
            props.set("expressions", keep)
        else:
            tree.set("properties", None)
    for col in tree.find_all(exp.ColumnDef):
        cons = col.args.get("constraints") or []
        col.set("constraints", [c for c in cons if not isinstance(c.args.get("kind"), exp.Properties)])


def _split_schema_name(tree: exp.Expression) -> None:
    """CREATE SCHEMA `project.dataset`: one quoted name in BigQuery, catalog.schema in DuckDB."""
    if isinstance(tree, exp.Create) and tree.kind == "SCHEMA":
        t = tree.this
        name = t.this if t.this is not None else t.args.get("db")
        full = name.name if isinstance(name, exp.Identifier) else None
        if full is None and t.args.get("db") is not None:
            full = t.args["db"].name
            if t.args.get("catalog") is not None:
                full = t.args["catalog"].name + "." + full
        parts = full.split(".") if full else []
        if len(parts) == 2:
            tree.set("this", exp.Table(this=exp.to_identifier(parts[1], quoted=True), db=exp.to_identifier(parts[0], quoted=True)))
        elif len(parts) == 1:
            tree.set("this", exp.Table(this=exp.to_identifier(parts[0], quoted=True)))


def _zero_based_offsets(tree: exp.Expression) -> None:
    """BigQuery's `UNNEST(a) WITH OFFSET AS o` counts from 0; sqlglot turns it into DuckDB's
    `WITH ORDINALITY`, which counts from 1, and leaves references to `o` alone. Every unqualified
    reference to `o` in the SELECT that owns the UNNEST becomes `(o__ord - 1)`."""
    for sel in list(tree.find_all(exp.Select)):
        sources = []
        if sel.args.get("from_") is not None:
            sources.append(sel.args["from_"].this)
        for j in sel.args.get("joins") or []:
            sources.append(j.this)
        renames: dict[str, str] = {}
        for src in sources:
            if isinstance(src, exp.Unnest) and isinstance(src.args.get("offset"), exp.Identifier):
                name = src.args["offset"].name
                new = f"{name}__ord"
                src.set("offset", exp.to_identifier(new))
                renames[name.lower()] = new
                # sqlglot moves the offset into the alias when it first writes the UNNEST, so one
                # written twice (a long argument list is) loses WITH ORDINALITY: move it once here.
                alias = src.args.get("alias")
                if isinstance(alias, exp.TableAlias):
                    alias.append("columns", exp.to_identifier(new))
                    src.set("offset", True)
        if not renames:
            continue

        def scope_nodes(node: exp.Expression):
            # this SELECT's own expressions, not those of nested SELECTs (their own scope)
            for child in node.iter_expressions():
                if isinstance(child, exp.Select) or (isinstance(child, exp.Subquery) and child is not sel):
                    continue
                yield child
                yield from scope_nodes(child)

        for node in list(scope_nodes(sel)):
            if isinstance(node, exp.Column) and not node.table and node.name.lower() in renames:
                zero_based = exp.Paren(this=exp.Sub(this=exp.column(renames[node.name.lower()]), expression=exp.Literal.number(1)))
                # A select-list item keeps its name, for the query that reads this one.
                if node.parent is sel and node.arg_key == "expressions":
                    zero_based = exp.alias_(zero_based, node.name)
                node.replace(zero_based)
