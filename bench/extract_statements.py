#!/usr/bin/python3
"""Reads src/statements.cpp and returns every statement the workers prepare:
name, SQL text, parameter count — so the database ceiling of `make bench` runs the
very SQL the endpoints run, without a second copy of it.

Understands the table's rows, `Statement{StatementId::x, "name", <sql>, nparams, ...}`,
where <sql> is one or more adjacent C++ string literals (plain or raw R"d(...)d"),
and named constants (`constexpr const char* kX = ...;` / `constexpr char kX[] = ...;`)
used in place of a literal.

    python3 bench/extract_statements.py [src/statements.cpp]   # prints JSON
"""
import json
import os
import re
import sys

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0",
            "a": "\a", "b": "\b", "f": "\f", "v": "\v", "?": "?"}


def _strip_comments(src):
    """Removes // and /* */ comments outside string literals (raw strings included)."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        elif c == 'R' and i + 1 < n and src[i + 1] == '"' and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'R"([^()\\\s]{0,16})\(', src[i:])
            end = src.find(")" + m.group(1) + '"', i + m.end())
            j = end + len(m.group(1)) + 2
            out.append(src[i:j])
            i = j
        elif c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        elif c == "'":
            j = i + 1
            while src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _read_literals(text, pos, constants):
    """Reads adjacent string literals (or known constant names) from text[pos:].
    Returns (value, new_pos) or (None, pos) when there is none."""
    parts = []
    while True:
        m = re.compile(r"\s*").match(text, pos)
        p = m.end()
        raw = re.compile(r'(?:u8)?R"([^()\\\s]{0,16})\(').match(text, p)
        if raw:
            end = text.find(")" + raw.group(1) + '"', raw.end())
            parts.append(text[raw.end():end])
            pos = end + len(raw.group(1)) + 2
            continue
        plain = re.compile(r'(?:u8)?"').match(text, p)
        if plain:
            j, buf = plain.end(), []
            while text[j] != '"':
                if text[j] == "\\":
                    e = text[j + 1]
                    if e == "x":
                        h = re.compile(r"[0-9a-fA-F]+").match(text, j + 2)
                        buf.append(chr(int(h.group(0), 16)))
                        j = h.end()
                        continue
                    buf.append(_ESCAPES.get(e, e))
                    j += 2
                else:
                    buf.append(text[j])
                    j += 1
            parts.append("".join(buf))
            pos = j + 1
            continue
        ident = re.compile(r"[A-Za-z_]\w*").match(text, p)
        if ident and ident.group(0) in constants:
            parts.append(constants[ident.group(0)])
            pos = ident.end()
            continue
        break
    return ("".join(parts), pos) if parts else (None, pos)


def extract(path):
    src = _strip_comments(open(path, encoding="utf-8").read())
    constants = {}
    for m in re.finditer(r"(?:constexpr|const)\s+(?:const\s+)?(?:char\s*\*\s*(?:const\s+)?|char\s+|std::string_view\s+|auto\s+)"
                         r"(\w+)\s*(?:\[\s*\])?\s*=", src):
        value, _ = _read_literals(src, m.end(), constants)
        if value is not None:
            constants[m.group(1)] = value
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+", src, re.M):
        value, _ = _read_literals(src, m.end(), constants)
        if value is not None:
            constants[m.group(1)] = value
    statements = []
    for m in re.finditer(r"Statement\s*\{\s*StatementId::(\w+)\s*,", src):
        name, pos = _read_literals(src, m.end(), constants)
        if name is None:
            continue
        pos = re.compile(r"\s*,").match(src, pos).end()
        sql, pos = _read_literals(src, pos, constants)
        if sql is None:
            raise ValueError(f"{path}: statement {m.group(1)}: cannot read its SQL text")
        rest = re.compile(r"\s*,\s*(\d+)").match(src, pos)
        statements.append({"id": m.group(1), "name": name, "sql": sql,
                           "nparams": int(rest.group(1)) if rest else None})
    if not statements:
        raise ValueError(f"{path}: no Statement{{StatementId::..., ...}} rows found")
    for s in statements:
        used = {int(x) for x in re.findall(r"\$(\d+)", s["sql"])}
        top = max(used, default=0)
        if s["nparams"] is not None and top > s["nparams"]:
            raise ValueError(f"{s['name']}: uses ${top} but declares {s['nparams']} parameters")
        if s["nparams"] is None:
            s["nparams"] = top
    return statements


def default_path():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "statements.cpp")


if __name__ == "__main__":
    print(json.dumps(extract(sys.argv[1] if len(sys.argv) > 1 else default_path()), indent=2))
