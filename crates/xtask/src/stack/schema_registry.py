"""A stand-in for Confluent Schema Registry, written for Ferry's tests.

Ferry's local stack runs this in place of Confluent's (Java) server, which
cannot be installed on the project's machines. It speaks the subset of
Confluent's REST API (v1 content type ``application/vnd.schemaregistry.v1+json``)
that Kafka Connect converters and Confluent's own clients use, with Confluent's
paths, status codes, JSON shapes and error codes:

* ``POST /subjects/{s}/versions`` (register), ``POST /subjects/{s}`` (lookup),
  ``GET /subjects``, ``GET /subjects/{s}/versions``,
  ``GET /subjects/{s}/versions/{v|latest}``, ``.../{v}/schema``,
  ``.../{v}/referencedby``, ``DELETE /subjects/{s}`` and
  ``DELETE /subjects/{s}/versions/{v}`` (soft, or ``?permanent=true``);
* ``GET /schemas/ids/{id}``, ``.../schema``, ``.../subjects``,
  ``.../versions``, ``GET /schemas/types``;
* ``GET|PUT|DELETE /config`` and ``/config/{s}``
  (``?defaultToGlobal=true``), ``GET /mode`` (always READWRITE),
  ``GET /contexts`` (only the default one), ``GET /associations/resources/...``
  (always empty);
* ``POST /compatibility/subjects/{s}/versions/{v|latest}`` and
  ``POST /compatibility/subjects/{s}/versions`` (``?verbose=true``).

Compatibility rules
-------------------
AVRO follows Avro's schema-resolution rules as Avro's ``SchemaCompatibility``
implements them (Confluent uses that class): a reader field missing from the
writer needs a default; primitive promotions int→long→float→double and
string↔bytes; unions (every writer branch must be readable); enum symbols
(writer symbols must all be in the reader unless the reader enum has a
default); fixed size; named types must have the same unqualified name (or the
reader lists the writer's full name as an alias); recursion through named
types. BACKWARD checks new (reader) against old (writer), FORWARD the reverse,
FULL both; the ``_TRANSITIVE`` levels check every live version, the others
only the latest. A rejected registration is HTTP 409 with error_code 409 (as
Confluent 7 and Karapace answer; Confluent 8 says 40901) and the reasons in
the message.

PROTOBUF and JSON use simpler rules than Confluent's (see
:func:`protobuf_compat` and :func:`json_compat`); their levels work the same
way (BACKWARD: new schema reads old data, and so on).

Schemas
-------
Two schemas are the same (same id, no new version) when their canonical
forms, types and references are equal. AVRO: compact JSON with sorted keys;
JSON: the same; PROTOBUF: the schema as .proto text rendered from a model of
its descriptor. A PROTOBUF schema may be registered as .proto text (as Java
clients and curl do) or as a base64 ``FileDescriptorProto`` (as Confluent's
Python client does); both are parsed into the same model, so the two forms
of one file get one id. ``GET`` returns .proto text (as registered, or
rendered from the registered descriptor); ``?format=serialized``
returns a base64 descriptor (the one registered, or one encoded from the
model). Imports need a reference, except google/protobuf well-known types.

Storage
-------
All state lives in one JSON file (``--data``); every mutation rewrites it
atomically (temporary file, fsync, rename) before the response is sent, and it
is loaded at start, so ids and versions survive restarts.

What it does not do: schema contexts, modes other than READWRITE, metadata and
rule sets (accepted and ignored), ``normalize`` (schemas are always compared by
their canonical form), guids, multiple nodes, TLS, and authentication beyond
one optional ``--basic-auth user:password`` pair.

Standard library only (Python 3.11+).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import re
import sys
import tempfile
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, unquote, urlsplit

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SCHEMA_TYPES = ("AVRO", "PROTOBUF", "JSON")
LEVELS = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)
DEFAULT_LEVEL = "BACKWARD"
MAX_VERSION = 2**31 - 1


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ApiError(Exception):
    """An error answered as ``{"error_code": code, "message": message}``."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class SchemaError(Exception):
    """A schema that does not parse; answered as 422 / 42201."""


def subject_not_found(subject: str) -> ApiError:
    return ApiError(404, 40401, f"Subject '{subject}' not found.")


def version_not_found(version: Any) -> ApiError:
    return ApiError(404, 40402, f"Version {version} not found.")


def schema_not_found(schema_id: Optional[int] = None) -> ApiError:
    if schema_id is None:
        return ApiError(404, 40403, "Schema not found")
    return ApiError(404, 40403, f"Schema {schema_id} not found")


def invalid_schema(message: str) -> ApiError:
    return ApiError(422, 42201, f"Invalid schema: {message}")


def invalid_version(version: str) -> ApiError:
    return ApiError(
        422,
        42202,
        f"The specified version '{version}' is not a valid version id. Allowed values are "
        'between [1, 2^31-1] and the string "latest"',
    )


def invalid_level() -> ApiError:
    return ApiError(
        422,
        42203,
        "Invalid compatibility level. Valid values are none, backward, forward, full, "
        "backward_transitive, forward_transitive, and full_transitive",
    )


# ---------------------------------------------------------------------------
# Avro: parsing into a small model
# ---------------------------------------------------------------------------

AVRO_PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Avro:
    """One node of a parsed Avro schema."""

    def __init__(self, kind: str, **attrs: Any):
        self.kind = kind
        self.name: str = attrs.get("name", "")
        self.fullname: str = attrs.get("fullname", "")
        self.aliases: list[str] = attrs.get("aliases", [])
        self.fields: list[AvroField] = attrs.get("fields", [])
        self.symbols: list[str] = attrs.get("symbols", [])
        self.enum_default: Optional[str] = attrs.get("enum_default")
        self.size: int = attrs.get("size", 0)
        self.items: Optional[Avro] = attrs.get("items")
        self.values: Optional[Avro] = attrs.get("values")
        self.branches: list[Avro] = attrs.get("branches", [])

    def describe(self) -> str:
        """A short name for messages: the full name of named types, else the kind."""
        return self.fullname or self.kind


class AvroField:
    """A record field."""

    def __init__(self, name: str, schema: Avro, has_default: bool, aliases: list[str]):
        self.name = name
        self.schema = schema
        self.has_default = has_default
        self.aliases = aliases


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise SchemaError(f"{what} must be a non-empty string")
    for part in name.split("."):
        if not NAME_RE.match(part):
            raise SchemaError(f"illegal name {name!r}")
    return name


def _full_name(name: str, namespace: Optional[str]) -> str:
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


class AvroParser:
    """Parses Avro schema JSON, keeping named types by full name.

    ``names`` may be pre-filled with the named types of referenced schemas.
    """

    def __init__(self, names: Optional[dict[str, Avro]] = None):
        self.names: dict[str, Avro] = dict(names or {})

    def parse(self, node: Any, namespace: Optional[str] = None) -> Avro:
        if isinstance(node, str):
            return self._named_or_primitive(node, namespace)
        if isinstance(node, list):
            return self._union(node, namespace)
        if isinstance(node, dict):
            return self._complex(node, namespace)
        raise SchemaError(f"not a schema: {json.dumps(node)}")

    def _named_or_primitive(self, name: str, namespace: Optional[str]) -> Avro:
        if name in AVRO_PRIMITIVES:
            return Avro(name)
        for candidate in (_full_name(name, namespace), name):
            if candidate in self.names:
                return self.names[candidate]
        raise SchemaError(f"undefined name: {name!r}")

    def _union(self, node: list, namespace: Optional[str]) -> Avro:
        branches = [self.parse(b, namespace) for b in node]
        seen: set[str] = set()
        for b in branches:
            if b.kind == "union":
                raise SchemaError("unions may not immediately contain other unions")
            key = b.fullname if b.fullname else b.kind
            if key in seen:
                raise SchemaError(f"duplicate in union: {key}")
            seen.add(key)
        return Avro("union", branches=branches)

    def _complex(self, node: dict, namespace: Optional[str]) -> Avro:
        if "type" not in node:
            raise SchemaError(f"no type: {json.dumps(node)}")
        kind = node["type"]
        if isinstance(kind, (dict, list)):
            return self.parse(kind, namespace)
        if not isinstance(kind, str):
            raise SchemaError(f"type must be a string, object or array: {json.dumps(node)}")
        if kind in AVRO_PRIMITIVES:
            return Avro(kind)
        if kind in ("record", "error", "enum", "fixed"):
            return self._named(node, kind, namespace)
        if kind == "array":
            if "items" not in node:
                raise SchemaError("array has no items")
            return Avro("array", items=self.parse(node["items"], namespace))
        if kind == "map":
            if "values" not in node:
                raise SchemaError("map has no values")
            return Avro("map", values=self.parse(node["values"], namespace))
        return self._named_or_primitive(kind, namespace)

    def _named(self, node: dict, kind: str, namespace: Optional[str]) -> Avro:
        name = _check_name(node.get("name"), f"{kind} name")
        ns = node.get("namespace")
        if ns is not None and not isinstance(ns, str):
            raise SchemaError("namespace must be a string")
        if ns:
            _check_name(ns, "namespace")
        if "." in name:
            fullname = name
            space: Optional[str] = name.rsplit(".", 1)[0]
        else:
            space = ns if ns is not None else namespace
            fullname = _full_name(name, space)
        if fullname in self.names:
            raise SchemaError(f"can't redefine: {fullname}")
        aliases = [_full_name(_check_name(a, "alias"), space) for a in node.get("aliases", [])]
        simple = fullname.rsplit(".", 1)[-1]
        if kind == "fixed":
            size = node.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise SchemaError(f"invalid fixed size for {fullname}")
            schema = Avro("fixed", name=simple, fullname=fullname, aliases=aliases, size=size)
            self.names[fullname] = schema
            return schema
        if kind == "enum":
            symbols = node.get("symbols")
            if not isinstance(symbols, list):
                raise SchemaError(f"enum {fullname} has no symbols")
            for s in symbols:
                _check_name(s, "enum symbol")
            if len(set(symbols)) != len(symbols):
                raise SchemaError(f"duplicate enum symbol in {fullname}")
            default = node.get("default")
            if default is not None and default not in symbols:
                raise SchemaError(f"enum default {default!r} is not a symbol of {fullname}")
            schema = Avro(
                "enum",
                name=simple,
                fullname=fullname,
                aliases=aliases,
                symbols=list(symbols),
                enum_default=default,
            )
            self.names[fullname] = schema
            return schema
        # record / error: register before the fields so they may refer to it.
        schema = Avro("record", name=simple, fullname=fullname, aliases=aliases)
        self.names[fullname] = schema
        fields = node.get("fields")
        if not isinstance(fields, list):
            raise SchemaError(f"record {fullname} has no fields")
        seen: set[str] = set()
        for f in fields:
            if not isinstance(f, dict):
                raise SchemaError(f"field of {fullname} is not an object")
            fname = _check_name(f.get("name"), "field name")
            if fname in seen:
                raise SchemaError(f"duplicate field {fname} in {fullname}")
            seen.add(fname)
            if "type" not in f:
                raise SchemaError(f"field {fname} of {fullname} has no type")
            ftype = self.parse(f["type"], space)
            has_default = "default" in f
            if has_default and not avro_default_valid(ftype, f["default"]):
                raise SchemaError(
                    f"invalid default for field {fname}: {json.dumps(f['default'])} "
                    f"not a {ftype.describe()}"
                )
            faliases = [_check_name(a, "alias") for a in f.get("aliases", [])]
            schema.fields.append(AvroField(fname, ftype, has_default, faliases))
        return schema


def avro_default_valid(schema: Avro, value: Any, depth: int = 0) -> bool:
    """Whether ``value`` (JSON) is a valid default for ``schema``.

    Unions accept a value valid for any branch (Avro 1.11 and later)."""
    if depth > 64:
        return True
    k = schema.kind
    if k == "null":
        return value is None
    if k == "boolean":
        return isinstance(value, bool)
    if k in ("int", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        bits = 31 if k == "int" else 63
        return -(2**bits) <= value < 2**bits
    if k in ("float", "double"):
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or value in (
            "NaN",
            "Infinity",
            "-Infinity",
        )
    if k in ("bytes", "string", "fixed"):
        return isinstance(value, str)
    if k == "enum":
        return isinstance(value, str) and value in schema.symbols
    if k == "array":
        return isinstance(value, list) and all(
            schema.items is not None and avro_default_valid(schema.items, v, depth + 1) for v in value
        )
    if k == "map":
        return isinstance(value, dict) and all(
            schema.values is not None and avro_default_valid(schema.values, v, depth + 1)
            for v in value.values()
        )
    if k == "record":
        if not isinstance(value, dict):
            return False
        for f in schema.fields:
            if f.name in value:
                if not avro_default_valid(f.schema, value[f.name], depth + 1):
                    return False
            elif not f.has_default:
                return False
        return True
    if k == "union":
        return any(avro_default_valid(b, value, depth + 1) for b in schema.branches)
    return False


def avro_canonical(node: Any) -> str:
    """The form two Avro schemas are compared in: compact JSON, keys sorted,
    ``{"type": "int"}`` written as ``"int"``. Whitespace and key order do not
    matter; docs, defaults, field order and everything else do."""

    def simplify(n: Any) -> Any:
        if isinstance(n, dict):
            out = {k: simplify(v) for k, v in n.items()}
            if set(out) == {"type"} and isinstance(out["type"], str):
                return out["type"]
            return out
        if isinstance(n, list):
            return [simplify(v) for v in n]
        return n

    return json.dumps(simplify(node), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------------------
# Avro: reader/writer compatibility (after Avro's SchemaCompatibility)
# ---------------------------------------------------------------------------


class Incompatibility:
    """One reason a reader cannot read a writer's data."""

    def __init__(self, kind: str, path: str, description: str, info: str):
        self.kind = kind
        self.path = path
        self.description = description
        self.info = info

    def render(self) -> str:
        return (
            f"{{errorType:'{self.kind}', description:'{self.description}', "
            f"additionalInfo:'{self.info}'}}"
        )


def _name_matches(reader: Avro, writer: Avro) -> bool:
    return reader.name == writer.name or writer.fullname in reader.aliases


class AvroCompat:
    """Checks whether data written with ``writer`` can be read with ``reader``.

    The words in messages assume reader = new schema, writer = old schema
    (BACKWARD); the caller swaps the labels for FORWARD checks."""

    def __init__(self, reader_label: str = "new", writer_label: str = "old"):
        self.reader_label = reader_label
        self.writer_label = writer_label
        self.memo: dict[tuple[int, int], list[Incompatibility]] = {}

    def check(self, reader: Avro, writer: Avro, path: str = "") -> list[Incompatibility]:
        key = (id(reader), id(writer))
        if key in self.memo:
            return self.memo[key]
        # Assume compatible while in progress: a recursive type meeting itself.
        self.memo[key] = []
        result = self._calculate(reader, writer, path)
        self.memo[key] = result
        return result

    def _mismatch(self, reader: Avro, writer: Avro, path: str) -> list[Incompatibility]:
        return [
            Incompatibility(
                "TYPE_MISMATCH",
                path or "/",
                f"The type (path '{path or '/'}') of a field in the {self.reader_label} schema "
                f"does not match with the {self.writer_label} schema",
                f"reader type: {reader.describe()} not compatible with writer type: {writer.describe()}",
            )
        ]

    def _calculate(self, reader: Avro, writer: Avro, path: str) -> list[Incompatibility]:
        rk, wk = reader.kind, writer.kind
        if rk == wk:
            if rk in AVRO_PRIMITIVES:
                return []
            if rk == "array":
                assert reader.items is not None and writer.items is not None
                return self.check(reader.items, writer.items, f"{path}/items")
            if rk == "map":
                assert reader.values is not None and writer.values is not None
                return self.check(reader.values, writer.values, f"{path}/values")
            if rk == "fixed":
                out = self._names(reader, writer, path)
                if reader.size != writer.size:
                    out.append(
                        Incompatibility(
                            "FIXED_SIZE_MISMATCH",
                            f"{path}/size",
                            f"The size of FIXED type field at path '{path}/size' in the "
                            f"{self.reader_label} schema does not match with the "
                            f"{self.writer_label} schema",
                            f"expected: {writer.size}, found: {reader.size}",
                        )
                    )
                return out
            if rk == "enum":
                out = self._names(reader, writer, path)
                missing = [s for s in writer.symbols if s not in reader.symbols]
                if missing and reader.enum_default is None:
                    out.append(
                        Incompatibility(
                            "MISSING_ENUM_SYMBOLS",
                            f"{path}/symbols",
                            f"The {self.writer_label} schema has enum symbols the "
                            f"{self.reader_label} schema lacks (path '{path}/symbols')",
                            "[" + ", ".join(missing) + "]",
                        )
                    )
                return out
            if rk == "record":
                return self._names(reader, writer, path) + self._fields(reader, writer, path)
            if rk == "union":
                out: list[Incompatibility] = []
                for i, branch in enumerate(writer.branches):
                    out += self.check(reader, branch, f"{path}/{i}")
                return out
            raise AssertionError(rk)
        if wk == "union":
            out = []
            for i, branch in enumerate(writer.branches):
                out += self.check(reader, branch, f"{path}/{i}")
            return out
        promotions = {
            "long": ("int",),
            "float": ("int", "long"),
            "double": ("int", "long", "float"),
            "bytes": ("string",),
            "string": ("bytes",),
        }
        if wk in promotions.get(rk, ()):
            return []
        if rk == "union":
            for branch in reader.branches:
                if not self.check(branch, writer, path):
                    return []
            return [
                Incompatibility(
                    "MISSING_UNION_BRANCH",
                    path or "/",
                    f"The {self.writer_label} schema has a type (path '{path or '/'}') the "
                    f"{self.reader_label} schema's union lacks",
                    f"reader union lacking writer type: {writer.describe()}",
                )
            ]
        return self._mismatch(reader, writer, path)

    def _names(self, reader: Avro, writer: Avro, path: str) -> list[Incompatibility]:
        if _name_matches(reader, writer):
            return []
        return [
            Incompatibility(
                "NAME_MISMATCH",
                f"{path}/name",
                f"The name of the schema has changed (path '{path}/name')",
                f"expected: {writer.fullname}",
            )
        ]

    def _fields(self, reader: Avro, writer: Avro, path: str) -> list[Incompatibility]:
        out: list[Incompatibility] = []
        by_name = {f.name: f for f in writer.fields}
        for i, rf in enumerate(reader.fields):
            wf = by_name.get(rf.name)
            if wf is None:
                for alias in rf.aliases:
                    if alias in by_name:
                        wf = by_name[alias]
                        break
            fpath = f"{path}/fields/{i}"
            if wf is None:
                if not rf.has_default:
                    out.append(
                        Incompatibility(
                            "READER_FIELD_MISSING_DEFAULT_VALUE",
                            fpath,
                            f"The field '{rf.name}' at path '{fpath}' in the {self.reader_label} "
                            f"schema has no default value and is missing in the "
                            f"{self.writer_label} schema",
                            rf.name,
                        )
                    )
            else:
                out += self.check(rf.schema, wf.schema, f"{fpath}/type")
        return out


# ---------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------

JSON_TYPES = ("null", "boolean", "object", "array", "number", "string", "integer")


def json_parse(text: str) -> Any:
    """Parses a JSON Schema document: an object or a boolean, with valid
    ``type`` keywords."""
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise SchemaError(f"not JSON: {e}") from None
    if not isinstance(doc, (dict, bool)):
        raise SchemaError("a JSON schema must be an object or a boolean")

    def walk(node: Any, depth: int) -> None:
        if depth > 128 or not isinstance(node, dict):
            return
        t = node.get("type")
        types = t if isinstance(t, list) else [t] if t is not None else []
        for x in types:
            if x not in JSON_TYPES:
                raise SchemaError(f"unknown JSON schema type {json.dumps(x)}")
        for key in ("properties", "definitions", "$defs", "patternProperties"):
            sub = node.get(key)
            if sub is not None and not isinstance(sub, dict):
                raise SchemaError(f"{key} must be an object")
            for v in (sub or {}).values():
                walk(v, depth + 1)
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                walk(node[key], depth + 1)
        for key in ("anyOf", "oneOf", "allOf"):
            for v in node.get(key) or []:
                walk(v, depth + 1)

    walk(doc, 0)
    return doc


def json_canonical(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _json_types(node: Any) -> Optional[set[str]]:
    """The set of types a schema node allows; None when it does not say."""
    if not isinstance(node, dict) or "type" not in node:
        return None
    t = node["type"]
    return set(t) if isinstance(t, list) else {t}


def json_compat(reader: Any, writer: Any, path: str = "#") -> list[str]:
    """A simple reader/writer rule for JSON Schema (not Confluent's full one).

    Data valid under ``writer`` must be valid under ``reader`` as far as these
    keywords tell, recursively through ``properties`` and ``items``:

    * ``type``: every type the writer allows must be allowed by the reader
      (``integer`` is accepted where the reader allows ``number``); a reader
      without ``type`` accepts anything, a writer without ``type`` only a
      reader without one;
    * ``required``: every property the reader requires must be required by
      the writer too;
    * ``additionalProperties: false`` in the reader (a closed content model):
      every property the writer declares must be declared by the reader, and
      the writer must be closed as well;
    * ``enum``: the writer's values must all be in the reader's.

    ``$ref``, ``anyOf``/``oneOf``/``allOf``, formats and numeric or string
    bounds are not compared.
    """
    if reader is True or reader == {}:
        return []
    if writer is False:
        return []
    if reader is False:
        return [f"{path}: the new schema accepts nothing"]
    if not isinstance(reader, dict) or not isinstance(writer, dict):
        return []
    out: list[str] = []
    rt, wt = _json_types(reader), _json_types(writer)
    if rt is not None:
        if wt is None:
            out.append(f"{path}: type narrowed to {sorted(rt)}")
        else:
            widened = {"integer"} if "number" in rt else set()
            lost = wt - rt - widened
            if lost:
                out.append(f"{path}: type {sorted(lost)} no longer allowed")
    if "enum" in reader and isinstance(reader["enum"], list):
        wenum = writer.get("enum")
        if not isinstance(wenum, list):
            out.append(f"{path}: enum added")
        else:
            missing = [v for v in wenum if v not in reader["enum"]]
            if missing:
                out.append(f"{path}: enum values removed: {json.dumps(missing)}")
    rprops = reader.get("properties") if isinstance(reader.get("properties"), dict) else {}
    wprops = writer.get("properties") if isinstance(writer.get("properties"), dict) else {}
    rreq = set(reader.get("required") or [])
    wreq = set(writer.get("required") or [])
    for name in sorted(rreq - wreq):
        out.append(f"{path}/properties/{name}: required property added")
    if reader.get("additionalProperties") is False:
        for name in sorted(set(wprops) - set(rprops)):
            out.append(f"{path}/properties/{name}: property removed from a closed content model")
        if writer.get("additionalProperties") is not False:
            out.append(f"{path}: additionalProperties false added")
    for name in sorted(set(rprops) & set(wprops)):
        out += json_compat(rprops[name], wprops[name], f"{path}/properties/{name}")
    if isinstance(reader.get("items"), (dict, bool)) and isinstance(writer.get("items"), (dict, bool)):
        out += json_compat(reader["items"], writer["items"], f"{path}/items")
    return out


# ---------------------------------------------------------------------------
# Protobuf: a model of the FileDescriptorProto subset schemas need
# ---------------------------------------------------------------------------
#
# A PROTOBUF schema arrives either as .proto text or (from Confluent's Python
# client) as a base64 FileDescriptorProto. Both become the same model: a dict
# tree with fully qualified type names. The model is rendered back to .proto
# text (the canonical form, and what GET returns by default) and encoded to a
# descriptor (what ``?format=serialized`` returns for text registrations).
# Extensions, groups and custom options are not modelled; field and message
# options other than map_entry are dropped; four file options are kept.

PB_TYPES = {
    1: "double",
    2: "float",
    3: "int64",
    4: "uint64",
    5: "int32",
    6: "fixed64",
    7: "fixed32",
    8: "bool",
    9: "string",
    10: "group",
    11: "message",
    12: "bytes",
    13: "uint32",
    14: "enum",
    15: "sfixed32",
    16: "sfixed64",
    17: "sint32",
    18: "sint64",
}
PB_SCALARS = {v: k for k, v in PB_TYPES.items() if v not in ("group", "message", "enum")}
PB_MESSAGE, PB_ENUM = 11, 14
PB_OPTIONAL, PB_REQUIRED, PB_REPEATED = 1, 2, 3
# FileOptions kept in the model: field number -> (name, kind).
PB_FILE_OPTIONS = {
    1: ("java_package", "string"),
    8: ("java_outer_classname", "string"),
    10: ("java_multiple_files", "bool"),
    11: ("go_package", "string"),
}
PB_FILE_OPTION_NUMBERS = {name: (num, kind) for num, (name, kind) in PB_FILE_OPTIONS.items()}
# Well-known types a schema may import without a reference.
PB_WELL_KNOWN = {
    "google/protobuf/any.proto": {".google.protobuf.Any": PB_MESSAGE},
    "google/protobuf/duration.proto": {".google.protobuf.Duration": PB_MESSAGE},
    "google/protobuf/empty.proto": {".google.protobuf.Empty": PB_MESSAGE},
    "google/protobuf/field_mask.proto": {".google.protobuf.FieldMask": PB_MESSAGE},
    "google/protobuf/timestamp.proto": {".google.protobuf.Timestamp": PB_MESSAGE},
    "google/protobuf/struct.proto": {
        ".google.protobuf.Struct": PB_MESSAGE,
        ".google.protobuf.Value": PB_MESSAGE,
        ".google.protobuf.ListValue": PB_MESSAGE,
        ".google.protobuf.NullValue": PB_ENUM,
    },
    "google/protobuf/wrappers.proto": {
        f".google.protobuf.{n}Value": PB_MESSAGE
        for n in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
    },
}


def _pb_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise SchemaError("truncated or overlong varint in descriptor")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def _pb_fields(data: bytes) -> list[tuple[int, Any]]:
    """Splits a protobuf message into (field number, value): ints for varint
    and fixed fields, bytes for length-delimited ones."""
    out: list[tuple[int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _pb_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise SchemaError("field number 0 in descriptor")
        if wire == 0:
            value, pos = _pb_varint(data, pos)
        elif wire == 1:
            value, pos = int.from_bytes(data[pos : pos + 8], "little"), pos + 8
        elif wire == 5:
            value, pos = int.from_bytes(data[pos : pos + 4], "little"), pos + 4
        elif wire == 2:
            length, pos = _pb_varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        else:
            raise SchemaError(f"unsupported wire type {wire} in descriptor")
        if pos > len(data):
            raise SchemaError("truncated descriptor")
        out.append((number, value))
    return out


def _pb_str(value: Any) -> str:
    if not isinstance(value, bytes):
        raise SchemaError("expected a string in descriptor")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise SchemaError("invalid UTF-8 in descriptor") from None


def _pb_int32(value: Any) -> int:
    if not isinstance(value, int):
        raise SchemaError("expected an integer in descriptor")
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def _pb_msg(value: Any) -> list[tuple[int, Any]]:
    if not isinstance(value, bytes):
        raise SchemaError("expected a message in descriptor")
    return _pb_fields(value)


def _pb_decode_range(value: Any) -> tuple[int, int]:
    start = end = 0
    for n, v in _pb_msg(value):
        if n == 1:
            start = _pb_int32(v)
        elif n == 2:
            end = _pb_int32(v)
    return start, end


def _pb_decode_enum(value: Any) -> dict:
    enum: dict = {"name": "", "values": [], "reserved_ranges": [], "reserved_names": []}
    for n, v in _pb_msg(value):
        if n == 1:
            enum["name"] = _pb_str(v)
        elif n == 2:
            name, number = "", 0
            for vn, vv in _pb_msg(v):
                if vn == 1:
                    name = _pb_str(vv)
                elif vn == 2:
                    number = _pb_int32(vv)
            enum["values"].append([name, number])
        elif n == 4:
            start, end = _pb_decode_range(v)
            enum["reserved_ranges"].append([start, end + 1])  # inclusive on the wire
        elif n == 5:
            enum["reserved_names"].append(_pb_str(v))
    return enum


def _pb_decode_field(value: Any) -> dict:
    field: dict = {
        "name": "",
        "number": 0,
        "label": PB_OPTIONAL,
        "type": 0,
        "type_name": "",
        "default": None,
        "oneof_index": None,
        "proto3_optional": False,
    }
    for n, v in _pb_msg(value):
        if n == 1:
            field["name"] = _pb_str(v)
        elif n == 3:
            field["number"] = _pb_int32(v)
        elif n == 4:
            field["label"] = _pb_int32(v)
        elif n == 5:
            field["type"] = _pb_int32(v)
        elif n == 6:
            field["type_name"] = _pb_str(v)
        elif n == 7:
            field["default"] = _pb_str(v)
        elif n == 9:
            field["oneof_index"] = _pb_int32(v)
        elif n == 17:
            field["proto3_optional"] = bool(v)
    if field["type"] == 0 and field["type_name"]:
        raise SchemaError(f"field {field['name']} has an unresolved type {field['type_name']}")
    if field["type"] not in PB_TYPES:
        raise SchemaError(f"field {field['name']} has unknown type {field['type']}")
    return field


def _pb_decode_message(value: Any) -> dict:
    msg: dict = {
        "name": "",
        "fields": [],
        "nested": [],
        "enums": [],
        "oneofs": [],
        "map_entry": False,
        "reserved_ranges": [],
        "reserved_names": [],
    }
    for n, v in _pb_msg(value):
        if n == 1:
            msg["name"] = _pb_str(v)
        elif n == 2:
            msg["fields"].append(_pb_decode_field(v))
        elif n == 3:
            msg["nested"].append(_pb_decode_message(v))
        elif n == 4:
            msg["enums"].append(_pb_decode_enum(v))
        elif n == 7:
            for on, ov in _pb_msg(v):
                if on == 7:
                    msg["map_entry"] = bool(ov)
        elif n == 8:
            name = ""
            for on, ov in _pb_msg(v):
                if on == 1:
                    name = _pb_str(ov)
            msg["oneofs"].append(name)
        elif n == 9:
            msg["reserved_ranges"].append(list(_pb_decode_range(v)))
        elif n == 10:
            msg["reserved_names"].append(_pb_str(v))
    return msg


def _pb_decode_service(value: Any) -> dict:
    svc: dict = {"name": "", "methods": []}
    for n, v in _pb_msg(value):
        if n == 1:
            svc["name"] = _pb_str(v)
        elif n == 2:
            m = {"name": "", "input": "", "output": "", "client_streaming": False, "server_streaming": False}
            for mn, mv in _pb_msg(v):
                if mn == 1:
                    m["name"] = _pb_str(mv)
                elif mn == 2:
                    m["input"] = _pb_str(mv)
                elif mn == 3:
                    m["output"] = _pb_str(mv)
                elif mn == 5:
                    m["client_streaming"] = bool(mv)
                elif mn == 6:
                    m["server_streaming"] = bool(mv)
            svc["methods"].append(m)
    return svc


def _pb_empty_file() -> dict:
    return {
        "name": "",
        "package": "",
        "syntax": "proto2",
        "dependencies": [],
        "public": [],
        "options": {},
        "messages": [],
        "enums": [],
        "services": [],
    }


def pb_decode(data: bytes) -> dict:
    """A serialized FileDescriptorProto as a model."""
    f = _pb_empty_file()
    for n, v in _pb_fields(data):
        if n == 1:
            f["name"] = _pb_str(v)
        elif n == 2:
            f["package"] = _pb_str(v)
        elif n == 3:
            f["dependencies"].append(_pb_str(v))
        elif n == 10:
            if isinstance(v, bytes):  # packed
                pos = 0
                while pos < len(v):
                    i, pos = _pb_varint(v, pos)
                    f["public"].append(i)
            else:
                f["public"].append(_pb_int32(v))
        elif n == 4:
            f["messages"].append(_pb_decode_message(v))
        elif n == 5:
            f["enums"].append(_pb_decode_enum(v))
        elif n == 6:
            f["services"].append(_pb_decode_service(v))
        elif n == 8:
            for on, ov in _pb_msg(v):
                if on in PB_FILE_OPTIONS:
                    name, kind = PB_FILE_OPTIONS[on]
                    f["options"][name] = bool(ov) if kind == "bool" else _pb_str(ov)
        elif n == 12:
            f["syntax"] = _pb_str(v) or "proto2"
    if not f["messages"] and not f["enums"] and not f["services"]:
        raise SchemaError("descriptor defines no message, enum or service")
    return f


# -- encoding ---------------------------------------------------------------


def _enc_varint(value: int) -> bytes:
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _enc_key(number: int, wire: int) -> bytes:
    return _enc_varint(number << 3 | wire)


def _enc_int(number: int, value: int) -> bytes:
    return _enc_key(number, 0) + _enc_varint(value)


def _enc_bytes(number: int, value: bytes) -> bytes:
    return _enc_key(number, 2) + _enc_varint(len(value)) + value


def _enc_str(number: int, value: str) -> bytes:
    return _enc_bytes(number, value.encode("utf-8"))


def _enc_range(number: int, start: int, end: int) -> bytes:
    return _enc_bytes(number, _enc_int(1, start) + _enc_int(2, end))


def _enc_enum(enum: dict) -> bytes:
    out = _enc_str(1, enum["name"])
    for name, num in enum["values"]:
        out += _enc_bytes(2, _enc_str(1, name) + _enc_int(2, num))
    for start, end in enum["reserved_ranges"]:
        out += _enc_range(4, start, end - 1)
    for name in enum["reserved_names"]:
        out += _enc_str(5, name)
    return out


def _enc_field(field: dict) -> bytes:
    out = _enc_str(1, field["name"]) + _enc_int(3, field["number"]) + _enc_int(4, field["label"])
    out += _enc_int(5, field["type"])
    if field["type_name"]:
        out += _enc_str(6, field["type_name"])
    if field["default"] is not None:
        out += _enc_str(7, field["default"])
    if field["oneof_index"] is not None:
        out += _enc_int(9, field["oneof_index"])
    if field["proto3_optional"]:
        out += _enc_int(17, 1)
    return out


def _enc_message(msg: dict) -> bytes:
    out = _enc_str(1, msg["name"])
    for f in msg["fields"]:
        out += _enc_bytes(2, _enc_field(f))
    for m in msg["nested"]:
        out += _enc_bytes(3, _enc_message(m))
    for e in msg["enums"]:
        out += _enc_bytes(4, _enc_enum(e))
    if msg["map_entry"]:
        out += _enc_bytes(7, _enc_int(7, 1))
    for name in msg["oneofs"]:
        out += _enc_bytes(8, _enc_str(1, name))
    for start, end in msg["reserved_ranges"]:
        out += _enc_range(9, start, end)
    for name in msg["reserved_names"]:
        out += _enc_str(10, name)
    return out


def pb_encode(f: dict) -> bytes:
    """The model as a serialized FileDescriptorProto."""
    out = b""
    if f["name"]:
        out += _enc_str(1, f["name"])
    if f["package"]:
        out += _enc_str(2, f["package"])
    for d in f["dependencies"]:
        out += _enc_str(3, d)
    for m in f["messages"]:
        out += _enc_bytes(4, _enc_message(m))
    for e in f["enums"]:
        out += _enc_bytes(5, _enc_enum(e))
    for s in f["services"]:
        body = _enc_str(1, s["name"])
        for m in s["methods"]:
            mb = _enc_str(1, m["name"]) + _enc_str(2, m["input"]) + _enc_str(3, m["output"])
            if m["client_streaming"]:
                mb += _enc_int(5, 1)
            if m["server_streaming"]:
                mb += _enc_int(6, 1)
            body += _enc_bytes(2, mb)
        out += _enc_bytes(6, body)
    if f["options"]:
        ob = b""
        for name, value in sorted(f["options"].items(), key=lambda kv: PB_FILE_OPTION_NUMBERS[kv[0]][0]):
            num, kind = PB_FILE_OPTION_NUMBERS[name]
            ob += _enc_int(num, int(value)) if kind == "bool" else _enc_str(num, value)
        out += _enc_bytes(8, ob)
    for i in f["public"]:
        out += _enc_int(10, i)
    if f["syntax"] != "proto2":
        out += _enc_str(12, f["syntax"])
    return out


# -- rendering --------------------------------------------------------------


def _pb_quote(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20:
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _pb_ranges(ranges: list, inclusive_end: bool) -> str:
    parts = []
    for start, end in ranges:
        last = end - 1
        if last == start:
            parts.append(str(start))
        elif (inclusive_end and last == MAX_VERSION) or (not inclusive_end and last == 536870911):
            parts.append(f"{start} to max")
        else:
            parts.append(f"{start} to {last}")
    return ", ".join(parts)


def _pb_render_enum(enum: dict, indent: str) -> list[str]:
    lines = [f"{indent}enum {enum['name']} {{"]
    for name, num in enum["values"]:
        lines.append(f"{indent}  {name} = {num};")
    if enum["reserved_ranges"]:
        lines.append(f"{indent}  reserved {_pb_ranges(enum['reserved_ranges'], True)};")
    if enum["reserved_names"]:
        lines.append(f"{indent}  reserved {', '.join(_pb_quote(n) for n in enum['reserved_names'])};")
    lines.append(f"{indent}}}")
    return lines


def _pb_field_type(field: dict) -> str:
    if field["type"] in (PB_MESSAGE, PB_ENUM, 10):
        return field["type_name"]
    return PB_TYPES[field["type"]]


def _pb_render_field(field: dict, syntax: str, maps: dict, in_oneof: bool) -> str:
    entry = maps.get(field["type_name"]) if field["type"] == PB_MESSAGE else None
    opts = ""
    if field["default"] is not None:
        d = field["default"]
        if field["type"] in (9, 12):
            d = _pb_quote(d)
        opts = f" [default = {d}]"
    if entry is not None and field["label"] == PB_REPEATED:
        key = next(f for f in entry["fields"] if f["number"] == 1)
        value = next(f for f in entry["fields"] if f["number"] == 2)
        return (
            f"map<{_pb_field_type(key)}, {_pb_field_type(value)}> "
            f"{field['name']} = {field['number']}{opts};"
        )
    label = ""
    if field["label"] == PB_REPEATED:
        label = "repeated "
    elif field["label"] == PB_REQUIRED:
        label = "required "
    elif not in_oneof and (syntax == "proto2" or field["proto3_optional"]):
        label = "optional "
    return f"{label}{_pb_field_type(field)} {field['name']} = {field['number']}{opts};"


def _pb_render_message(msg: dict, prefix: str, syntax: str, indent: str) -> list[str]:
    full = f"{prefix}.{msg['name']}"
    maps = {f"{full}.{m['name']}": m for m in msg["nested"] if m["map_entry"]}
    lines = [f"{indent}message {msg['name']} {{"]
    inner = indent + "  "
    real_oneofs = {
        f["oneof_index"] for f in msg["fields"] if f["oneof_index"] is not None and not f["proto3_optional"]
    }
    done_oneofs: set[int] = set()
    for field in msg["fields"]:
        idx = field["oneof_index"]
        if idx is not None and idx in real_oneofs:
            if idx in done_oneofs:
                continue
            done_oneofs.add(idx)
            name = msg["oneofs"][idx] if idx < len(msg["oneofs"]) else f"oneof_{idx}"
            lines.append(f"{inner}oneof {name} {{")
            for member in msg["fields"]:
                if member["oneof_index"] == idx:
                    lines.append(f"{inner}  {_pb_render_field(member, syntax, maps, True)}")
            lines.append(f"{inner}}}")
        else:
            lines.append(f"{inner}{_pb_render_field(field, syntax, maps, False)}")
    for nested in msg["nested"]:
        if not nested["map_entry"]:
            lines += _pb_render_message(nested, full, syntax, inner)
    for enum in msg["enums"]:
        lines += _pb_render_enum(enum, inner)
    if msg["reserved_ranges"]:
        lines.append(f"{inner}reserved {_pb_ranges(msg['reserved_ranges'], False)};")
    if msg["reserved_names"]:
        lines.append(f"{inner}reserved {', '.join(_pb_quote(n) for n in msg['reserved_names'])};")
    lines.append(f"{indent}}}")
    return lines


def pb_render(f: dict) -> str:
    """The model as .proto text (type references fully qualified)."""
    lines = [f"syntax = {_pb_quote(f['syntax'])};"]
    if f["package"]:
        lines.append(f"package {f['package']};")
    if f["dependencies"]:
        lines.append("")
        for i, d in enumerate(f["dependencies"]):
            public = "public " if i in f["public"] else ""
            lines.append(f"import {public}{_pb_quote(d)};")
    if f["options"]:
        lines.append("")
        for name in sorted(f["options"]):
            value = f["options"][name]
            rendered = ("true" if value else "false") if isinstance(value, bool) else _pb_quote(value)
            lines.append(f"option {name} = {rendered};")
    prefix = f".{f['package']}" if f["package"] else ""
    for msg in f["messages"]:
        lines.append("")
        lines += _pb_render_message(msg, prefix, f["syntax"], "")
    for enum in f["enums"]:
        lines.append("")
        lines += _pb_render_enum(enum, "")
    for svc in f["services"]:
        lines.append("")
        lines.append(f"service {svc['name']} {{")
        for m in svc["methods"]:
            cs = "stream " if m["client_streaming"] else ""
            ss = "stream " if m["server_streaming"] else ""
            lines.append(f"  rpc {m['name']}({cs}{m['input']}) returns ({ss}{m['output']});")
        lines.append("}")
    return "\n".join(lines) + "\n"


# -- .proto text parsing ----------------------------------------------------

_PB_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<num>-?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|-?inf\b|nan\b)
  | (?P<ident>\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<sym>[{}\[\]()<>;,=:.\-+/])
    """,
    re.VERBOSE | re.DOTALL,
)
_PB_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _pb_unquote(tok: str) -> str:
    body = tok[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _PB_ESCAPES:
                out.append(_PB_ESCAPES[nxt])
                i += 2
                continue
            m = re.match(r"[0-7]{1,3}", body[i + 1 :])
            if m:
                out.append(chr(int(m.group(0), 8)))
                i += 1 + len(m.group(0))
                continue
            m = re.match(r"[xX]([0-9a-fA-F]{1,2})", body[i + 1 :])
            if m:
                out.append(chr(int(m.group(1), 16)))
                i += 1 + len(m.group(0))
                continue
        out.append(ch)
        i += 1
    return "".join(out)


class ProtoParser:
    """A recursive-descent parser for the .proto subset in the model.

    Type references are left as written; :func:`pb_resolve` qualifies them."""

    def __init__(self, text: str):
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = _PB_TOKEN.match(text, pos)
            if not m:
                raise SchemaError(f"unexpected character {text[pos]!r} in .proto text")
            pos = m.end()
            if m.lastgroup != "ws":
                self.tokens.append((m.lastgroup or "", m.group(0)))
        self.pos = 0

    def peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def next(self) -> str:
        if self.pos >= len(self.tokens):
            raise SchemaError("unexpected end of .proto text")
        tok = self.tokens[self.pos][1]
        self.pos += 1
        return tok

    def kind(self) -> str:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else ""

    def expect(self, tok: str) -> None:
        got = self.next()
        if got != tok:
            raise SchemaError(f"expected {tok!r}, found {got!r} in .proto text")

    def ident(self) -> str:
        if self.kind() != "ident":
            raise SchemaError(f"expected a name, found {self.peek()!r} in .proto text")
        return self.next()

    def string(self) -> str:
        if self.kind() != "str":
            raise SchemaError(f"expected a string, found {self.peek()!r} in .proto text")
        s = _pb_unquote(self.next())
        while self.kind() == "str":  # adjacent literals concatenate
            s += _pb_unquote(self.next())
        return s

    def integer(self) -> int:
        tok = self.next()
        body = tok.lstrip("-")
        sign = -1 if tok.startswith("-") else 1
        try:
            if body.lower().startswith("0x"):
                return sign * int(body, 16)
            if len(body) > 1 and body.startswith("0"):
                return sign * int(body, 8)
            return sign * int(body)
        except ValueError:
            raise SchemaError(f"expected an integer, found {tok!r} in .proto text") from None

    def skip_balanced(self, open_: str, close: str) -> None:
        depth = 0
        while True:
            tok = self.next()
            if tok == open_:
                depth += 1
            elif tok == close:
                depth -= 1
                if depth == 0:
                    return

    def option_name(self) -> str:
        parts = []
        while True:
            if self.peek() == "(":
                self.next()
                parts.append("(" + self.ident() + ")")
                self.expect(")")
            else:
                parts.append(self.ident())
            if self.peek() == ".":
                self.next()
                continue
            if self.kind() == "ident" and self.peek().startswith("."):
                parts.append(self.next()[1:])
                continue
            return ".".join(parts)

    def constant(self) -> Any:
        k = self.kind()
        if k == "str":
            return self.string()
        if self.peek() == "{":
            self.skip_balanced("{", "}")
            return None
        if self.peek() in ("-", "+"):
            sign = self.next()
            return sign + self.next()
        return self.next()

    # -- grammar --

    def parse_file(self) -> dict:
        f = _pb_empty_file()
        while self.pos < len(self.tokens):
            tok = self.peek()
            if tok == "syntax":
                self.next()
                self.expect("=")
                f["syntax"] = self.string()
                if f["syntax"] not in ("proto2", "proto3"):
                    raise SchemaError(f"unsupported syntax {f['syntax']!r}")
                self.expect(";")
            elif tok == "edition":
                raise SchemaError("protobuf editions are not supported")
            elif tok == "package":
                self.next()
                f["package"] = self.ident().lstrip(".")
                self.expect(";")
            elif tok == "import":
                self.next()
                public = False
                if self.peek() in ("public", "weak"):
                    public = self.next() == "public"
                if public:
                    f["public"].append(len(f["dependencies"]))
                f["dependencies"].append(self.string())
                self.expect(";")
            elif tok == "option":
                self.next()
                name = self.option_name()
                self.expect("=")
                value = self.constant()
                self.expect(";")
                if name in PB_FILE_OPTION_NUMBERS:
                    kind = PB_FILE_OPTION_NUMBERS[name][1]
                    f["options"][name] = value == "true" if kind == "bool" else value
            elif tok == "message":
                self.next()
                f["messages"].append(self.message(f["syntax"]))
            elif tok == "enum":
                self.next()
                f["enums"].append(self.enum())
            elif tok == "service":
                self.next()
                f["services"].append(self.service())
            elif tok == "extend":
                self.next()
                self.ident()
                self.skip_balanced("{", "}")
            elif tok == ";":
                self.next()
            else:
                raise SchemaError(f"unexpected {tok!r} in .proto text")
        if not f["messages"] and not f["enums"] and not f["services"]:
            raise SchemaError("the .proto text defines no message, enum or service")
        return f

    def field_options(self, field: dict) -> None:
        if self.peek() != "[":
            return
        self.next()
        while True:
            name = self.option_name()
            self.expect("=")
            value = self.constant()
            if name == "default":
                field["default"] = value
            if self.peek() == ",":
                self.next()
                continue
            self.expect("]")
            return

    def field(self, syntax: str, label: Optional[str], oneof: Optional[int]) -> dict:
        type_tok = self.ident()
        if type_tok == "group":
            raise SchemaError("proto2 groups are not supported")
        name = self.ident()
        self.expect("=")
        number = self.integer()
        field = {
            "name": name,
            "number": number,
            "label": {"repeated": PB_REPEATED, "required": PB_REQUIRED}.get(label or "", PB_OPTIONAL),
            "type": PB_SCALARS.get(type_tok, 0),
            "type_name": "" if type_tok in PB_SCALARS else type_tok,
            "default": None,
            "oneof_index": oneof,
            "proto3_optional": syntax == "proto3" and label == "optional",
        }
        self.field_options(field)
        self.expect(";")
        return field

    def reserved(self, target: dict, message: bool) -> None:
        if self.kind() == "str":
            while True:
                target["reserved_names"].append(self.string())
                if self.peek() != ",":
                    break
                self.next()
        else:
            while True:
                start = self.integer()
                end = start
                if self.peek() == "to":
                    self.next()
                    if self.peek() == "max":
                        self.next()
                        end = 536870911 if message else MAX_VERSION
                    else:
                        end = self.integer()
                target["reserved_ranges"].append([start, end + 1])
                if self.peek() != ",":
                    break
                self.next()
        self.expect(";")

    def message(self, syntax: str) -> dict:
        msg: dict = {
            "name": self.ident(),
            "fields": [],
            "nested": [],
            "enums": [],
            "oneofs": [],
            "map_entry": False,
            "reserved_ranges": [],
            "reserved_names": [],
        }
        self.expect("{")
        optional_fields: list[dict] = []
        while self.peek() != "}":
            tok = self.peek()
            if tok == "message":
                self.next()
                msg["nested"].append(self.message(syntax))
            elif tok == "enum":
                self.next()
                msg["enums"].append(self.enum())
            elif tok == "oneof":
                self.next()
                index = len(msg["oneofs"])
                msg["oneofs"].append(self.ident())
                self.expect("{")
                while self.peek() != "}":
                    if self.peek() == "option":
                        self.next()
                        self.option_name()
                        self.expect("=")
                        self.constant()
                        self.expect(";")
                    else:
                        msg["fields"].append(self.field(syntax, None, index))
                self.expect("}")
            elif tok == "map":
                self.next()
                self.expect("<")
                key = self.ident()
                self.expect(",")
                value = self.ident()
                self.expect(">")
                name = self.ident()
                self.expect("=")
                number = self.integer()
                entry_name = "".join(p[:1].upper() + p[1:] for p in name.split("_")) + "Entry"
                field = {
                    "name": name,
                    "number": number,
                    "label": PB_REPEATED,
                    "type": 0,  # pb_resolve qualifies the entry's name
                    "type_name": entry_name,
                    "default": None,
                    "oneof_index": None,
                    "proto3_optional": False,
                }
                self.field_options(field)
                self.expect(";")
                msg["fields"].append(field)
                entry_fields = []
                for num, (fname, ftype) in enumerate((("key", key), ("value", value)), 1):
                    entry_fields.append(
                        {
                            "name": fname,
                            "number": num,
                            "label": PB_OPTIONAL,
                            "type": PB_SCALARS.get(ftype, 0),
                            "type_name": "" if ftype in PB_SCALARS else ftype,
                            "default": None,
                            "oneof_index": None,
                            "proto3_optional": False,
                        }
                    )
                msg["nested"].append(
                    {
                        "name": entry_name,
                        "fields": entry_fields,
                        "nested": [],
                        "enums": [],
                        "oneofs": [],
                        "map_entry": True,
                        "reserved_ranges": [],
                        "reserved_names": [],
                    }
                )
            elif tok == "reserved":
                self.next()
                self.reserved(msg, True)
            elif tok == "extensions":
                while self.next() != ";":
                    pass
            elif tok == "extend":
                self.next()
                self.ident()
                self.skip_balanced("{", "}")
            elif tok == "option":
                self.next()
                self.option_name()
                self.expect("=")
                self.constant()
                self.expect(";")
            elif tok == ";":
                self.next()
            else:
                label = None
                if tok in ("optional", "required", "repeated"):
                    label = self.next()
                field = self.field(syntax, label, None)
                msg["fields"].append(field)
                if field["proto3_optional"]:
                    optional_fields.append(field)
        self.expect("}")
        # proto3 optional fields live in synthetic oneofs, after the real ones.
        for field in optional_fields:
            field["oneof_index"] = len(msg["oneofs"])
            msg["oneofs"].append("_" + field["name"])
        return msg

    def enum(self) -> dict:
        enum: dict = {"name": self.ident(), "values": [], "reserved_ranges": [], "reserved_names": []}
        self.expect("{")
        while self.peek() != "}":
            tok = self.peek()
            if tok == "option":
                self.next()
                self.option_name()
                self.expect("=")
                self.constant()
                self.expect(";")
            elif tok == "reserved":
                self.next()
                self.reserved(enum, False)
            elif tok == ";":
                self.next()
            else:
                name = self.ident()
                self.expect("=")
                number = self.integer()
                if self.peek() == "[":
                    self.skip_balanced("[", "]")
                self.expect(";")
                enum["values"].append([name, number])
        self.expect("}")
        if not enum["values"]:
            raise SchemaError(f"enum {enum['name']} has no values")
        return enum

    def service(self) -> dict:
        svc: dict = {"name": self.ident(), "methods": []}
        self.expect("{")
        while self.peek() != "}":
            tok = self.next()
            if tok == "option":
                self.option_name()
                self.expect("=")
                self.constant()
                self.expect(";")
            elif tok == "rpc":
                m = {"name": self.ident(), "client_streaming": False, "server_streaming": False}
                self.expect("(")
                if self.peek() == "stream":
                    self.next()
                    m["client_streaming"] = True
                m["input"] = self.ident()
                self.expect(")")
                self.expect("returns")
                self.expect("(")
                if self.peek() == "stream":
                    self.next()
                    m["server_streaming"] = True
                m["output"] = self.ident()
                self.expect(")")
                if self.peek() == "{":
                    self.skip_balanced("{", "}")
                else:
                    self.expect(";")
                svc["methods"].append(m)
            elif tok != ";":
                raise SchemaError(f"unexpected {tok!r} in service {svc['name']}")
        self.expect("}")
        return svc


def pb_declared_types(f: dict) -> dict[str, int]:
    """Fully qualified name -> PB_MESSAGE or PB_ENUM for every type ``f`` declares."""
    out: dict[str, int] = {}
    prefix = f".{f['package']}" if f["package"] else ""

    def walk_msg(msg: dict, scope: str) -> None:
        full = f"{scope}.{msg['name']}"
        out[full] = PB_MESSAGE
        for nested in msg["nested"]:
            walk_msg(nested, full)
        for enum in msg["enums"]:
            out[f"{full}.{enum['name']}"] = PB_ENUM

    for msg in f["messages"]:
        walk_msg(msg, prefix)
    for enum in f["enums"]:
        out[f"{prefix}.{enum['name']}"] = PB_ENUM
    return out


def pb_resolve(f: dict, imported: dict[str, int]) -> None:
    """Qualifies every type reference in a parsed file, in place, and sets the
    field type to message or enum; ``imported`` holds the imported types."""
    known = dict(imported)
    known.update(pb_declared_types(f))

    def lookup(name: str, scope: str) -> str:
        if name.startswith("."):
            if name in known:
                return name
            raise SchemaError(f"unknown type {name}")
        parts = scope.split(".") if scope else [""]
        # protobuf scoping: innermost scope first, then each enclosing one.
        while True:
            base = ".".join(parts)
            candidate = f"{base}.{name}" if base else f".{name}"
            if candidate in known:
                return candidate
            if len(parts) <= 1:
                break
            parts = parts[:-1]
        raise SchemaError(f"unknown type {name}")

    def fix_field(field: dict, scope: str) -> None:
        if field["type"] != 0:
            return
        full = lookup(field["type_name"], scope)
        field["type_name"] = full
        field["type"] = known[full]

    def walk(msg: dict, scope: str) -> None:
        full = f"{scope}.{msg['name']}"
        for field in msg["fields"]:
            fix_field(field, full)
        for nested in msg["nested"]:
            walk(nested, full)

    prefix = f".{f['package']}" if f["package"] else ""
    for msg in f["messages"]:
        walk(msg, prefix)
    for svc in f["services"]:
        for m in svc["methods"]:
            for key in ("input", "output"):
                full = lookup(m[key], prefix)
                if known[full] != PB_MESSAGE:
                    raise SchemaError(f"rpc {m['name']} uses enum {full}")
                m[key] = full


def pb_check_references(f: dict, known: dict[str, int]) -> None:
    """Fails when a decoded descriptor names a type nobody declares."""

    def walk(msg: dict) -> None:
        for field in msg["fields"]:
            if field["type"] in (PB_MESSAGE, PB_ENUM) and field["type_name"] not in known:
                raise SchemaError(f"unknown type {field['type_name']} in field {field['name']}")
        for nested in msg["nested"]:
            walk(nested)

    for msg in f["messages"]:
        walk(msg)


# -- compatibility ----------------------------------------------------------

# Scalar types whose encodings read back as one another (protobuf's own list).
PB_WIRE_GROUPS = [
    {"int32", "uint32", "int64", "uint64", "bool"},
    {"sint32", "sint64"},
    {"fixed32", "sfixed32"},
    {"fixed64", "sfixed64"},
    {"string", "bytes"},
]


def _pb_messages(f: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    prefix = f".{f['package']}" if f["package"] else ""

    def walk(msg: dict, scope: str) -> None:
        full = f"{scope}.{msg['name']}"
        if not msg["map_entry"]:
            out[full] = msg
        for nested in msg["nested"]:
            walk(nested, full)

    for msg in f["messages"]:
        walk(msg, prefix)
    return out


def protobuf_compat(reader: dict, writer: dict) -> list[str]:
    """A simple rule for Protobuf (not Confluent's full one): data written
    with ``writer`` must parse with ``reader``. Incompatible when

    * the package changed;
    * a message of the writer (by full name) is missing from the reader;
    * a field number present in both changed between scalar, message and enum,
      changed scalar type outside protobuf's wire-compatible groups
      ({int32, uint32, int64, uint64, bool}, {sint32, sint64},
      {fixed32, sfixed32}, {fixed64, sfixed64}, {string, bytes}), changed its
      message or enum type, or changed between repeated and singular;
    * the reader requires (proto2 ``required``) a field the writer does not.

    Enum values, oneof membership, options and services are not compared.
    """
    out: list[str] = []
    if reader["package"] != writer["package"]:
        out.append(f"PACKAGE_CHANGED: {writer['package']!r} -> {reader['package']!r}")
    rmsgs, wmsgs = _pb_messages(reader), _pb_messages(writer)
    for name, wmsg in wmsgs.items():
        rmsg = rmsgs.get(name)
        if rmsg is None:
            out.append(f"MESSAGE_REMOVED: {name}")
            continue
        rfields = {f["number"]: f for f in rmsg["fields"]}
        wfields = {f["number"]: f for f in wmsg["fields"]}
        for num, rf in rfields.items():
            wf = wfields.get(num)
            if wf is None:
                if rf["label"] == PB_REQUIRED:
                    out.append(f"REQUIRED_FIELD_ADDED: {name}.{rf['name']}")
                continue
            where = f"{name}.{rf['name']} (field {num})"
            rt, wt = rf["type"], wf["type"]
            kinds = {PB_MESSAGE: "message", PB_ENUM: "enum", 10: "group"}
            if kinds.get(rt, "scalar") != kinds.get(wt, "scalar"):
                out.append(f"FIELD_KIND_CHANGED: {where}")
            elif rt in (PB_MESSAGE, PB_ENUM, 10):
                if rf["type_name"] != wf["type_name"]:
                    out.append(f"FIELD_NAMED_TYPE_CHANGED: {where}")
            elif rt != wt and not any(
                PB_TYPES[rt] in g and PB_TYPES[wt] in g for g in PB_WIRE_GROUPS
            ):
                out.append(f"FIELD_SCALAR_KIND_CHANGED: {where}")
            if (rf["label"] == PB_REPEATED) != (wf["label"] == PB_REPEATED):
                out.append(f"FIELD_LABEL_CHANGED: {where}")
    return out


# ---------------------------------------------------------------------------
# Parsed schemas
# ---------------------------------------------------------------------------


class Parsed:
    """A schema after parsing: its canonical form and its model.

    ``avro_names`` (AVRO) and ``pb_types`` (PROTOBUF) hold what a schema
    referencing this one may use: its named types and those it references."""

    def __init__(self, schema_type: str, canonical: str, model: Any):
        self.schema_type = schema_type
        self.canonical = canonical
        self.model = model
        self.avro_names: dict[str, Avro] = {}
        self.pb_types: dict[str, int] = {}
        self.pb_serialized: Optional[str] = None


def parse_schema(schema_type: str, text: str, refs: list[tuple[dict, Parsed]]) -> Parsed:
    """Parses ``text`` of ``schema_type``; ``refs`` pairs each reference with
    the referenced schema, parsed. Raises SchemaError."""
    if not isinstance(text, str) or not text.strip():
        raise SchemaError("empty schema")
    if schema_type == "AVRO":
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise SchemaError(f"not JSON: {e}") from None
        names: dict[str, Avro] = {}
        for _, parsed in refs:
            names.update(parsed.avro_names)
        parser = AvroParser(names)
        root = parser.parse(doc)
        out = Parsed("AVRO", avro_canonical(doc), root)
        out.avro_names = parser.names
        return out
    if schema_type == "JSON":
        doc = json_parse(text)
        return Parsed("JSON", json_canonical(doc), doc)
    if schema_type == "PROTOBUF":
        return _parse_protobuf(text, refs)
    raise SchemaError(f"unknown schema type {schema_type}")


def _pb_imports(model: dict, refs: list[tuple[dict, Parsed]]) -> dict[str, int]:
    by_name = {ref["name"]: parsed for ref, parsed in refs}
    known: dict[str, int] = {}
    for dep in model["dependencies"]:
        if dep in by_name:
            known.update(by_name[dep].pb_types)
        elif dep in PB_WELL_KNOWN:
            known.update(PB_WELL_KNOWN[dep])
        elif not dep.startswith("google/"):
            raise SchemaError(f"import {dep!r} has no schema reference")
    return known


def _parse_protobuf(text: str, refs: list[tuple[dict, Parsed]]) -> Parsed:
    stripped = text.strip()
    try:
        raw: Optional[bytes] = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        raw = None
    if raw is not None:
        model = pb_decode(raw)
        imported = _pb_imports(model, refs)
        known = dict(imported)
        known.update(pb_declared_types(model))
        google_import = any(d.startswith("google/") for d in model["dependencies"])
        pb_check_references(
            model,
            known if not google_import else _AnyGoogle(known),
        )
        serialized = stripped
    else:
        model = ProtoParser(text).parse_file()
        imported = _pb_imports(model, refs)
        pb_resolve(model, imported)
        serialized = None
    out = Parsed("PROTOBUF", pb_render(model), model)
    out.pb_types = dict(imported)
    out.pb_types.update(pb_declared_types(model))
    out.pb_serialized = serialized
    return out


class _AnyGoogle(dict):
    """A type table that also accepts any ``.google.`` type (imports of
    google/ files other than the well-known ones are not modelled)."""

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or (isinstance(key, str) and key.startswith(".google."))


def compatibility_errors(level: str, new: Parsed, olds: list[Parsed]) -> list[str]:
    """Why ``new`` may not follow ``olds`` (oldest first) under ``level``;
    empty when it may. Non-transitive levels look at the last one only."""
    if level == "NONE" or not olds:
        return []
    if not level.endswith("_TRANSITIVE"):
        olds = olds[-1:]
    base = level.replace("_TRANSITIVE", "")
    errors: list[str] = []
    for old in reversed(olds):
        if old.schema_type != new.schema_type:
            errors.append(
                f"{{errorType:'SCHEMA_TYPE_MISMATCH', description:'Incompatible because of "
                f"different schema type', additionalInfo:'{old.schema_type} vs {new.schema_type}'}}"
            )
            continue
        if base in ("BACKWARD", "FULL"):
            errors += _direction(new, old, "new", "old")
        if base in ("FORWARD", "FULL"):
            errors += _direction(old, new, "old", "new")
    return errors


def _direction(reader: Parsed, writer: Parsed, reader_label: str, writer_label: str) -> list[str]:
    if reader.schema_type == "AVRO":
        found = AvroCompat(reader_label, writer_label).check(reader.model, writer.model)
        return [i.render() for i in found]
    if reader.schema_type == "JSON":
        found_json = json_compat(reader.model, writer.model)
        return [f"{{errorType:'JSON_INCOMPATIBLE', description:'{m}'}}" for m in found_json]
    found_pb = protobuf_compat(reader.model, writer.model)
    return [
        f"{{errorType:'{m.split(':', 1)[0]}', description:'{reader_label} schema cannot read "
        f"{writer_label} data: {m}'}}"
        for m in found_pb
    ]


# ---------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name) or ["false"])[-1].strip().lower() == "true"


class Store:
    """Subjects, versions, schemas and configuration, saved to one JSON file.

    One lock guards everything; every mutation saves before it returns."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.RLock()
        self.next_id = 1
        # id -> {"schema", "schemaType", "references", "canonical"}
        self.schemas: dict[int, dict] = {}
        # subject -> [{"version", "id", "deleted"}], oldest first
        self.subjects: dict[str, list[dict]] = {}
        self.subject_levels: dict[str, str] = {}
        self.global_level = DEFAULT_LEVEL
        self.parsed: dict[int, Parsed] = {}
        self.by_key: dict[tuple[str, str, str], int] = {}
        self._load()

    # -- persistence --

    def _load(self) -> None:
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as f:
            data = json.load(f)
        self.next_id = int(data["next_id"])
        self.global_level = data.get("global_compatibility", DEFAULT_LEVEL)
        self.schemas = {int(k): v for k, v in data["schemas"].items()}
        self.subjects = data["subjects"]
        self.subject_levels = data.get("subject_compatibility", {})
        for sid, rec in self.schemas.items():
            self.by_key[self._key(rec["schemaType"], rec["canonical"], rec["references"])] = sid

    def _save(self) -> None:
        data = {
            "format": 1,
            "next_id": self.next_id,
            "global_compatibility": self.global_level,
            "schemas": {str(k): v for k, v in sorted(self.schemas.items())},
            "subjects": self.subjects,
            "subject_compatibility": self.subject_levels,
        }
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".registry-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @staticmethod
    def _key(schema_type: str, canonical: str, refs: list[dict]) -> tuple[str, str, str]:
        return (schema_type, canonical, json.dumps(refs, sort_keys=True))

    # -- lookups --

    def _versions(self, subject: str, deleted: bool = False) -> list[dict]:
        return [v for v in self.subjects.get(subject, []) if deleted or not v["deleted"]]

    def _live_or_404(self, subject: str, deleted: bool = False) -> list[dict]:
        versions = self._versions(subject, deleted)
        if not versions:
            raise subject_not_found(subject)
        return versions

    @staticmethod
    def _parse_version(version: str) -> Optional[int]:
        """None for latest; raises 42202 for anything but 1..2^31-1."""
        if version in ("latest", "-1"):
            return None
        try:
            n = int(version)
        except ValueError:
            raise invalid_version(version) from None
        if not 1 <= n <= MAX_VERSION:
            raise invalid_version(version)
        return n

    def _find_version(self, subject: str, version: str, deleted: bool = False) -> dict:
        wanted = self._parse_version(version)
        versions = self._live_or_404(subject, deleted)
        if wanted is None:
            return versions[-1]
        for v in versions:
            if v["version"] == wanted:
                return v
        raise version_not_found(wanted)

    def parsed_by_id(self, schema_id: int) -> Parsed:
        if schema_id not in self.parsed:
            rec = self.schemas[schema_id]
            self.parsed[schema_id] = parse_schema(
                rec["schemaType"], rec["schema"], self._resolve_refs(rec["references"])
            )
        return self.parsed[schema_id]

    def _resolve_refs(self, refs: list[dict]) -> list[tuple[dict, Parsed]]:
        out = []
        for ref in refs:
            versions = self.subjects.get(ref["subject"], [])
            match = [v for v in versions if v["version"] == ref["version"]]
            if not match:
                raise SchemaError(
                    f"reference {ref['name']!r}: subject {ref['subject']!r} has no version {ref['version']}"
                )
            out.append((ref, self.parsed_by_id(match[0]["id"])))
        return out

    def _normalize_refs(self, raw: Any) -> list[dict]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise invalid_schema("references must be an array")
        out = []
        for r in raw:
            if not isinstance(r, dict):
                raise invalid_schema("a reference must be an object")
            name, subject, version = r.get("name"), r.get("subject"), r.get("version")
            if not isinstance(name, str) or not isinstance(subject, str) or not name or not subject:
                raise invalid_schema("a reference needs a name and a subject")
            if version is None or version == -1 or version == "latest":
                live = self._versions(subject)
                if not live:
                    raise invalid_schema(f"reference {name!r}: subject {subject!r} not found")
                version = live[-1]["version"]
            if not isinstance(version, int) or isinstance(version, bool):
                raise invalid_schema(f"reference {name!r}: invalid version {version!r}")
            out.append({"name": name, "subject": subject, "version": version})
        return out

    def _parse_request(self, body: Any) -> tuple[str, str, list[dict], Parsed]:
        if not isinstance(body, dict):
            raise ApiError(422, 422, "Unrecognized request body")
        schema_type = str(body.get("schemaType") or "AVRO").upper()
        if schema_type not in SCHEMA_TYPES:
            raise invalid_schema(f"unknown schema type {schema_type}")
        text = body.get("schema")
        if not isinstance(text, str):
            raise ApiError(422, 42201, "Empty schema")
        refs = self._normalize_refs(body.get("references"))
        try:
            parsed = parse_schema(schema_type, text, self._resolve_refs(refs))
        except SchemaError as e:
            raise invalid_schema(str(e)) from None
        except RecursionError:
            raise invalid_schema("schema nested too deeply") from None
        return schema_type, text, refs, parsed

    def level_of(self, subject: str) -> str:
        return self.subject_levels.get(subject, self.global_level)

    def schema_text(self, schema_id: int, fmt: Optional[str]) -> str:
        """The schema as served; PROTOBUF ``format=serialized`` is base64."""
        rec = self.schemas[schema_id]
        if rec["schemaType"] == "PROTOBUF":
            parsed = self.parsed_by_id(schema_id)
            if fmt == "serialized":
                if parsed.pb_serialized is not None:
                    return parsed.pb_serialized
                return base64.standard_b64encode(pb_encode(parsed.model)).decode("ascii")
            if parsed.pb_serialized is not None:
                return parsed.canonical
        return rec["schema"]

    def _schema_fields(self, schema_id: int, fmt: Optional[str]) -> dict:
        rec = self.schemas[schema_id]
        out: dict[str, Any] = {}
        if rec["schemaType"] != "AVRO":
            out["schemaType"] = rec["schemaType"]
        if rec["references"]:
            out["references"] = rec["references"]
        out["schema"] = self.schema_text(schema_id, fmt)
        return out

    def _version_body(self, subject: str, v: dict, fmt: Optional[str]) -> dict:
        out = {"subject": subject, "version": v["version"], "id": v["id"]}
        out.update(self._schema_fields(v["id"], fmt))
        return out

    # -- subjects and versions --

    def register(self, subject: str, body: Any) -> dict:
        with self.lock:
            schema_type, text, refs, parsed = self._parse_request(body)
            key = self._key(schema_type, parsed.canonical, refs)
            existing = self.by_key.get(key)
            live = self._versions(subject)
            if existing is not None:
                for v in live:
                    if v["id"] == existing:
                        return {"id": existing}
            level = self.level_of(subject)
            olds = [self.parsed_by_id(v["id"]) for v in live]
            errors = compatibility_errors(level, parsed, olds)
            if errors:
                details = errors + [
                    f"{{oldSchemaVersion: {live[-1]['version']}}}",
                    f"{{compatibility: '{level}'}}",
                ]
                raise ApiError(
                    409,
                    409,
                    f'Schema being registered is incompatible with an earlier schema for subject "{subject}", '
                    f"details: [{', '.join(details)}]",
                )
            if existing is None:
                existing = self.next_id
                self.next_id += 1
                self.schemas[existing] = {
                    "schema": text,
                    "schemaType": schema_type,
                    "references": refs,
                    "canonical": parsed.canonical,
                }
                self.by_key[key] = existing
                self.parsed[existing] = parsed
            versions = self.subjects.setdefault(subject, [])
            number = max((v["version"] for v in versions), default=0) + 1
            versions.append({"version": number, "id": existing, "deleted": False})
            self._save()
            return {"id": existing}

    def lookup(self, subject: str, body: Any, query: dict) -> dict:
        with self.lock:
            deleted = _flag(query, "deleted")
            if not self._versions(subject, deleted):
                raise subject_not_found(subject)
            schema_type, _, refs, parsed = self._parse_request(body)
            sid = self.by_key.get(self._key(schema_type, parsed.canonical, refs))
            for v in reversed(self._versions(subject, deleted)):
                if v["id"] == sid:
                    return self._version_body(subject, v, _fmt(query))
            raise schema_not_found()

    def list_subjects(self, query: dict) -> list[str]:
        with self.lock:
            deleted_only = _flag(query, "deleted_only")
            deleted = _flag(query, "deleted")
            prefix = (query.get("subjectPrefix") or [""])[-1]
            out = []
            for subject, versions in self.subjects.items():
                if not subject.startswith(prefix) or not versions:
                    continue
                live = any(not v["deleted"] for v in versions)
                if deleted_only:
                    if not live:
                        out.append(subject)
                elif live or deleted:
                    out.append(subject)
            return _page(sorted(out), query)

    def list_versions(self, subject: str, query: dict) -> list[int]:
        with self.lock:
            deleted_only = _flag(query, "deleted_only")
            deleted = _flag(query, "deleted") or deleted_only
            versions = self._live_or_404(subject, deleted)
            if deleted_only:
                versions = [v for v in versions if v["deleted"]]
            return _page([v["version"] for v in versions], query)

    def get_version(self, subject: str, version: str, query: dict) -> dict:
        with self.lock:
            v = self._find_version(subject, version, _flag(query, "deleted"))
            return self._version_body(subject, v, _fmt(query))

    def get_version_schema(self, subject: str, version: str, query: dict) -> str:
        with self.lock:
            v = self._find_version(subject, version, _flag(query, "deleted"))
            return self.schema_text(v["id"], _fmt(query))

    def referenced_by(self, subject: str, version: str) -> list[int]:
        with self.lock:
            v = self._find_version(subject, version)
            return self._referencing_ids(subject, v["version"])

    def _referencing_ids(self, subject: str, version: int, live_only: bool = True) -> list[int]:
        ids = set()
        for sid, rec in self.schemas.items():
            if any(r["subject"] == subject and r["version"] == version for r in rec["references"]):
                used = any(
                    v["id"] == sid and (not live_only or not v["deleted"])
                    for vs in self.subjects.values()
                    for v in vs
                )
                if used:
                    ids.add(sid)
        return sorted(ids)

    def _refuse_if_referenced(self, subject: str, versions: list[dict]) -> None:
        for v in versions:
            if self._referencing_ids(subject, v["version"]):
                raise ApiError(
                    422,
                    42206,
                    f"One or more references exist to the schema {{magic=1,keytype=SCHEMA,"
                    f"subject={subject},version={v['version']}}}.",
                )

    def delete_subject(self, subject: str, permanent: bool) -> list[int]:
        with self.lock:
            versions = self.subjects.get(subject, [])
            if not versions:
                raise subject_not_found(subject)
            live = [v for v in versions if not v["deleted"]]
            if permanent:
                if live:
                    raise ApiError(
                        404, 40405, f"Subject '{subject}' was not deleted first before being permanently deleted"
                    )
                self._refuse_if_referenced(subject, versions)
                del self.subjects[subject]
                self.subject_levels.pop(subject, None)
                self._collect_garbage()
                self._save()
                return [v["version"] for v in versions]
            if not live:
                raise ApiError(
                    404, 40404, f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
                )
            self._refuse_if_referenced(subject, live)
            for v in live:
                v["deleted"] = True
            self.subject_levels.pop(subject, None)
            self._save()
            return [v["version"] for v in live]

    def delete_version(self, subject: str, version: str, permanent: bool) -> int:
        with self.lock:
            wanted = self._parse_version(version)
            versions = self.subjects.get(subject, [])
            if not versions or (not permanent and not any(not v["deleted"] for v in versions)):
                raise subject_not_found(subject)
            if wanted is None:
                pool = versions if permanent else [v for v in versions if not v["deleted"]]
                target = pool[-1]
            else:
                match = [v for v in versions if v["version"] == wanted]
                if not match:
                    raise version_not_found(wanted)
                target = match[0]
            if permanent:
                if not target["deleted"]:
                    raise ApiError(
                        404,
                        40407,
                        f"Subject '{subject}' Version {target['version']} was not deleted first before "
                        "being permanently deleted",
                    )
                self._refuse_if_referenced(subject, [target])
                versions.remove(target)
                if not versions:
                    del self.subjects[subject]
                self._collect_garbage()
            else:
                if target["deleted"]:
                    raise ApiError(
                        404,
                        40406,
                        f"Subject '{subject}' Version {target['version']} was soft deleted."
                        "Set permanent=true to delete permanently",
                    )
                self._refuse_if_referenced(subject, [target])
                target["deleted"] = True
            self._save()
            return target["version"]

    def _collect_garbage(self) -> None:
        """Forgets schemas no version uses any more (ids are never reused)."""
        used = {v["id"] for vs in self.subjects.values() for v in vs}
        for sid in [s for s in self.schemas if s not in used]:
            rec = self.schemas.pop(sid)
            self.by_key.pop(self._key(rec["schemaType"], rec["canonical"], rec["references"]), None)
            self.parsed.pop(sid, None)

    # -- schemas by id --

    def get_schema(self, schema_id: str, query: dict) -> dict:
        with self.lock:
            sid = self._schema_id(schema_id)
            return self._schema_fields(sid, _fmt(query))

    def get_schema_text(self, schema_id: str, query: dict) -> str:
        with self.lock:
            return self.schema_text(self._schema_id(schema_id), _fmt(query))

    def _schema_id(self, raw: str) -> int:
        try:
            sid = int(raw)
        except ValueError:
            raise ApiError(404, 404, "HTTP 404 Not Found") from None
        if sid not in self.schemas:
            raise schema_not_found(sid)
        return sid

    def schema_subject_versions(self, schema_id: str, query: dict) -> list[dict]:
        with self.lock:
            sid = self._schema_id(schema_id)
            deleted = _flag(query, "deleted")
            only = (query.get("subject") or [None])[-1]
            out = []
            for subject in sorted(self.subjects):
                if only is not None and subject != only:
                    continue
                for v in self.subjects[subject]:
                    if v["id"] == sid and (deleted or not v["deleted"]):
                        out.append({"subject": subject, "version": v["version"]})
            return _page(out, query)

    # -- configuration --

    def get_config(self, subject: Optional[str], query: dict) -> dict:
        with self.lock:
            if subject is None:
                return {"compatibilityLevel": self.global_level}
            if subject in self.subject_levels:
                return {"compatibilityLevel": self.subject_levels[subject]}
            if _flag(query, "defaultToGlobal"):
                return {"compatibilityLevel": self.global_level}
            raise ApiError(
                404, 40408, f"Subject '{subject}' does not have subject-level compatibility configured"
            )

    def put_config(self, subject: Optional[str], body: Any) -> dict:
        with self.lock:
            if not isinstance(body, dict):
                raise invalid_level()
            level = body.get("compatibility", body.get("compatibilityLevel"))
            if level is None:
                return {}
            if not isinstance(level, str) or level.upper() not in LEVELS:
                raise invalid_level()
            level = level.upper()
            if subject is None:
                self.global_level = level
            else:
                self.subject_levels[subject] = level
            self._save()
            return {"compatibility": level}

    def delete_config(self, subject: Optional[str]) -> dict:
        with self.lock:
            if subject is None:
                old = self.global_level
                self.global_level = DEFAULT_LEVEL
                self._save()
                return {"compatibilityLevel": old}
            if subject in self.subject_levels:
                old = self.subject_levels.pop(subject)
                self._save()
                return {"compatibilityLevel": old}
            if subject not in self.subjects:
                raise subject_not_found(subject)
            return {"compatibilityLevel": self.global_level}

    # -- compatibility tests --

    def test_compatibility(self, subject: str, version: Optional[str], body: Any, query: dict) -> dict:
        with self.lock:
            _, _, _, parsed = self._parse_request(body)
            level = self.level_of(subject)
            if version is None:
                olds = [self.parsed_by_id(v["id"]) for v in self._versions(subject)]
            else:
                wanted = self._parse_version(version)
                live = self._versions(subject)
                if wanted is None and not live:
                    olds = []
                else:
                    olds = [self.parsed_by_id(self._find_version(subject, version)["id"])]
                    level = level.replace("_TRANSITIVE", "")
            errors = compatibility_errors(level, parsed, olds)
            out: dict[str, Any] = {"is_compatible": not errors}
            if _flag(query, "verbose"):
                out["messages"] = errors
            return out


def _fmt(query: dict) -> Optional[str]:
    return (query.get("format") or [None])[-1]


def _page(items: list, query: dict) -> list:
    try:
        offset = int((query.get("offset") or ["0"])[-1])
        limit = int((query.get("limit") or ["-1"])[-1])
    except ValueError:
        return items
    items = items[max(offset, 0) :]
    return items if limit < 0 else items[:limit]


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

Route = Callable[["Handler", list[str], dict, Any], Any]


def _routes(store: Store) -> list[tuple[str, tuple[str, ...], Route]]:
    """(method, path pattern, handler); ``*`` matches one path segment."""

    def seg(n: int) -> Callable[[list[str]], str]:
        return lambda parts: parts[n]

    s1, s2, s4 = seg(1), seg(2), seg(4)
    return [
        ("GET", (), lambda h, p, q, b: {}),
        ("GET", ("schemas", "types"), lambda h, p, q, b: list(SCHEMA_TYPES)),
        ("GET", ("schemas", "ids", "*"), lambda h, p, q, b: store.get_schema(p[2], q)),
        ("GET", ("schemas", "ids", "*", "schema"), lambda h, p, q, b: Raw(store.get_schema_text(p[2], q))),
        (
            "GET",
            ("schemas", "ids", "*", "subjects"),
            lambda h, p, q, b: _unique([x["subject"] for x in store.schema_subject_versions(p[2], q)]),
        ),
        ("GET", ("schemas", "ids", "*", "versions"), lambda h, p, q, b: store.schema_subject_versions(p[2], q)),
        ("GET", ("subjects",), lambda h, p, q, b: store.list_subjects(q)),
        ("POST", ("subjects", "*"), lambda h, p, q, b: store.lookup(s1(p), b, q)),
        ("DELETE", ("subjects", "*"), lambda h, p, q, b: store.delete_subject(s1(p), _flag(q, "permanent"))),
        ("GET", ("subjects", "*", "versions"), lambda h, p, q, b: store.list_versions(s1(p), q)),
        ("POST", ("subjects", "*", "versions"), lambda h, p, q, b: store.register(s1(p), b)),
        ("GET", ("subjects", "*", "versions", "*"), lambda h, p, q, b: store.get_version(s1(p), p[3], q)),
        (
            "DELETE",
            ("subjects", "*", "versions", "*"),
            lambda h, p, q, b: store.delete_version(s1(p), p[3], _flag(q, "permanent")),
        ),
        (
            "GET",
            ("subjects", "*", "versions", "*", "schema"),
            lambda h, p, q, b: Raw(store.get_version_schema(s1(p), p[3], q)),
        ),
        (
            "GET",
            ("subjects", "*", "versions", "*", "referencedby"),
            lambda h, p, q, b: store.referenced_by(s1(p), p[3]),
        ),
        ("GET", ("config",), lambda h, p, q, b: store.get_config(None, q)),
        ("PUT", ("config",), lambda h, p, q, b: store.put_config(None, b)),
        ("DELETE", ("config",), lambda h, p, q, b: store.delete_config(None)),
        ("GET", ("config", "*"), lambda h, p, q, b: store.get_config(s1(p), q)),
        ("PUT", ("config", "*"), lambda h, p, q, b: store.put_config(s1(p), b)),
        ("DELETE", ("config", "*"), lambda h, p, q, b: store.delete_config(s1(p))),
        ("GET", ("mode",), lambda h, p, q, b: {"mode": "READWRITE"}),
        ("GET", ("mode", "*"), lambda h, p, q, b: {"mode": "READWRITE"}),
        ("GET", ("contexts",), lambda h, p, q, b: ["."]),
        # Subject associations are not implemented: no resource has any.
        ("GET", ("associations", "resources", "*", "*"), lambda h, p, q, b: []),
        (
            "POST",
            ("compatibility", "subjects", "*", "versions", "*"),
            lambda h, p, q, b: store.test_compatibility(s2(p), s4(p), b, q),
        ),
        (
            "POST",
            ("compatibility", "subjects", "*", "versions"),
            lambda h, p, q, b: store.test_compatibility(s2(p), None, b, q),
        ),
    ]


class Raw(str):
    """A response body sent as is, not JSON-encoded."""


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _match(pattern: tuple[str, ...], parts: list[str]) -> bool:
    return len(pattern) == len(parts) and all(p == "*" or p == x for p, x in zip(pattern, parts))


class Handler(BaseHTTPRequestHandler):
    """Dispatches one request to the store."""

    protocol_version = "HTTP/1.1"
    server_version = "ferry-schema-registry"
    store: Store
    routes: list[tuple[str, tuple[str, ...], Route]]
    auth: Optional[str] = None

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), format % args))

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            if self.auth is not None and not self._authorized():
                self._send(401, {"error_code": 401, "message": "Unauthorized"}, auth_challenge=True)
                return
            url = urlsplit(self.path)
            parts = [unquote(p) for p in url.path.split("/") if p != ""]
            query = parse_qs(url.query, keep_blank_values=True)
            candidates = [r for r in self.routes if _match(r[1], parts)]
            if not candidates:
                raise ApiError(404, 404, "HTTP 404 Not Found")
            route = next((r for r in candidates if r[0] == method), None)
            if route is None:
                raise ApiError(405, 405, "HTTP 405 Method Not Allowed")
            body: Any = None
            if method in ("POST", "PUT"):
                try:
                    body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
                except (ValueError, UnicodeDecodeError) as e:
                    raise ApiError(400, 400, f"Unrecognized JSON: {e}") from None
            self._send(200, route[2](self, parts, query, body))
        except ApiError as e:
            self._send(e.status, {"error_code": e.code, "message": e.message})
        except Exception as e:  # keep serving; say what broke
            traceback.print_exc()
            self._send(500, {"error_code": 50001, "message": f"Error in the schema registry: {e!r}"})

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return False
        return given == self.auth

    def _send(self, status: int, payload: Any, auth_challenge: bool = False) -> None:
        if isinstance(payload, Raw):
            data = str(payload).encode("utf-8")
        else:
            data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        accept = self.headers.get("Accept") or ""
        wants_plain = "application/json" in accept and "schemaregistry" not in accept
        self.send_header("Content-Type", "application/json" if wants_plain else CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        if auth_challenge:
            self.send_header("WWW-Authenticate", 'Basic realm="SchemaRegistry"')
        self.end_headers()
        self.wfile.write(data)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--data", required=True, help="the JSON file holding all state")
    ap.add_argument("--basic-auth", metavar="USER:PASSWORD", help="require HTTP basic auth")
    args = ap.parse_args(argv)
    if args.basic_auth is not None and ":" not in args.basic_auth:
        ap.error("--basic-auth takes user:password")
    try:
        store = Store(args.data)
    except (OSError, ValueError, KeyError) as e:
        print(f"cannot load {args.data}: {e!r}", file=sys.stderr)
        return 2

    class Bound(Handler):
        pass

    Bound.store = store
    Bound.routes = _routes(store)
    Bound.auth = args.basic_auth
    server = ThreadingHTTPServer((args.host, args.port), Bound)
    server.daemon_threads = True
    print(
        f"schema registry stand-in on http://{args.host}:{server.server_address[1]} "
        f"(data {args.data}, {len(store.schemas)} schemas, next id {store.next_id}, "
        f"auth {'on' if args.basic_auth else 'off'})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
