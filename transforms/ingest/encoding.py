"""Raw lines that are not text in the configured encoding (`ingest.encoding`): quarantined as `bad_encoding`.

Spark's text reader splits a file on the byte 0x0A and keeps each line's bytes unchecked. A UTF-16 file
(a NUL byte beside every ASCII character, and a byte-order mark that is no UTF-8 at all), a binary file or a
GBK export read as UTF-8 thus become strings that are not valid UTF-8, which the Parquet writer stores and
every reader then fails to decode. Such a line is a delivery problem, not a row: it gets the one reason
`bad_encoding` (what the parser made of its bytes would only mislead), and its text columns are made valid
(invalid bytes become U+FFFD) so the quarantine can keep it.

A file in another encoding that still ends lines with 0x0A (gbk, gb18030, latin-1) is decoded before it is
parsed; bytes that are not valid in it decode to U+FFFD, which marks the line.
"""

from __future__ import annotations

import codecs

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C
from transforms.ingest.reasons import BAD_ENCODING, REASONS_TYPE

UTF8 = "utf-8"
# What a decoder puts for bytes it cannot read.
REPLACEMENT_CHARACTER = "\ufffd"
# No text line holds NUL; a UTF-16 file read byte-wise holds one beside every ASCII character.
NUL = "\u0000"
# Spark 4's decode() knows only the Unicode charsets and latin-1 and raises on a malformed byte; these
# legacy switches give it every Java charset and the U+FFFD replacement instead.
DECODE_OPTIONS = {"spark.sql.legacy.javaCharsets": "true", "spark.sql.legacy.codingErrorAction": "true"}


def is_utf8(encoding: str) -> bool:
    """True when `encoding` (any spelling: UTF8, utf-8, U8) is UTF-8, which Spark reads without decoding."""
    return codecs.lookup(encoding).name == UTF8


def decode_lines(lines: DataFrame, encoding: str) -> DataFrame:
    """RAW_LINE decoded from `encoding` into text; unchanged for UTF-8, the bytes Spark already holds.

    Args:
        lines: RAW_LINE (the line's bytes as Spark read them) and any other columns, kept as they are.
        encoding: `ingest.encoding`; other than UTF-8 needs the session options DECODE_OPTIONS.

    Returns:
        The columns of `lines`; undecodable bytes of RAW_LINE are U+FFFD.
    """
    if is_utf8(encoding):
        return lines
    decoded = F.decode(F.col(C.RAW_LINE).cast(T.BinaryType()), encoding)
    return lines.select(*[decoded.alias(c) if c == C.RAW_LINE else F.col(c) for c in lines.columns])


def badly_encoded(encoding: str) -> Column:
    """True where RAW_LINE is not text of `encoding`: for UTF-8 invalid bytes, for others (decoded
    first by `decode_lines`) U+FFFD, and for every encoding a NUL character."""
    line = F.col(C.RAW_LINE)
    undecodable = ~F.is_valid_utf8(line) if is_utf8(encoding) else line.contains(REPLACEMENT_CHARACTER)
    return undecodable | line.contains(NUL)


def flag_bad_encoding(validated: DataFrame, encoding: str) -> DataFrame:
    """Give every badly encoded line the reasons [`bad_encoding`] alone, and make its text columns valid.

    Args:
        validated: RAW_LINE, REASONS and any other columns (validate.VALIDATED_COLUMNS).
        encoding: `ingest.encoding`.

    Returns:
        The columns of `validated`, in order; other rows unchanged.
    """
    bad = badly_encoded(encoding)
    reasons = F.when(bad, F.array(F.lit(BAD_ENCODING)).cast(REASONS_TYPE)).otherwise(F.col(C.REASONS))

    def repaired(field: T.StructField) -> Column:
        if field.name == C.REASONS:
            return reasons.alias(field.name)
        if isinstance(field.dataType, T.StringType):
            # Valid rows are left alone: their text is valid already.
            return (
                F.when(bad, F.make_valid_utf8(F.col(field.name)))
                .otherwise(F.col(field.name))
                .alias(field.name)
            )
        return F.col(field.name)

    return validated.select(*[repaired(field) for field in validated.schema.fields])
