"""Just enough of the protobuf wire format for the few CRI messages the node tier exchanges.

The CRI calls we make (``Version``, ``Status``, ``RuntimeConfig``, ``PullImage``) carry at most
four scalar or nested fields, so hand-encoding them avoids a protobuf dependency and generated
stubs for ~1% of the CRI API; grpcio carries the bytes (its serializers are left as identity).
"""

from __future__ import annotations

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5

Fields = dict[int, list[int | bytes]]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_string(field: int, value: str | bytes) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return _varint(field << 3 | LENGTH) + _varint(len(data)) + data


def encode_bool(field: int, value: bool) -> bytes:
    return _varint(field << 3 | VARINT) + _varint(int(value)) if value else b""


def decode(data: bytes) -> Fields:
    """A message as field number → values (ints for varints and fixed, bytes for the rest)."""
    fields: Fields = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == VARINT:
            value, pos = _read_varint(data, pos)
        elif wire == LENGTH:
            size, pos = _read_varint(data, pos)
            if pos + size > len(data):
                raise ValueError("truncated length-delimited field")
            value, pos = data[pos : pos + size], pos + size
        elif wire in (FIXED64, FIXED32):
            width = 8 if wire == FIXED64 else 4
            if pos + width > len(data):
                raise ValueError("truncated fixed field")
            value, pos = int.from_bytes(data[pos : pos + width], "little"), pos + width
        else:
            raise ValueError(f"unsupported wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def first_bytes(fields: Fields, number: int) -> bytes:
    values = fields.get(number, [])
    value = values[0] if values else b""
    return value if isinstance(value, bytes) else b""


def first_str(fields: Fields, number: int) -> str:
    return first_bytes(fields, number).decode("utf-8", errors="replace")


def first_int(fields: Fields, number: int) -> int:
    values = fields.get(number, [])
    value = values[0] if values else 0
    return value if isinstance(value, int) else 0


def all_bytes(fields: Fields, number: int) -> list[bytes]:
    return [value for value in fields.get(number, []) if isinstance(value, bytes)]
