"""Identifier formats: readable user and item ids, opaque but unique session, event and order ids.

Opaque ids come from a bijection on 48-bit numbers, so they are unique by construction (a hash could
collide) and an analyst cannot read a session or a position out of an event id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from sample_shop.generator.literals import literal_array

ID_BITS = 48
_MASK = (1 << ID_BITS) - 1
# Odd multipliers below 2**15: the product with a 48-bit number stays below 2**63, so it never overflows.
_MULTIPLIERS = (0x5BD1, 0x7FEB)
# Bots' event and session numbers live above this bit, regular users' below it.
BOT_NAMESPACE = 1 << (ID_BITS - 1)
# Positions reserved per session in the event numbering: regular events first, post-order events after.
EVENT_SLOTS = 64
POST_ORDER_FIRST_POS = 44
# Item ids: index * multiplier mod n_items is a permutation when they are coprime.
_ITEM_MULTIPLIER = 2_147_483_647
_ITEM_SHIFT = 7_919
# Phone numbers and email suffixes: the same kind of permutation, of the user index.
_PHONE_MULTIPLIER = 48_271
_HEX_PAIRS = [f"{b:02x}" for b in range(256)]


@dataclass(frozen=True)
class DayNumbering:
    """Where each (user, day) pair's numbers live, so that ids stay unique when a lake is continued.

    Days of the period (day indexes 0..days-1) number user-major: user * days + day, as they always
    have. Each later day (e = day - days) gets its own block after the period's, in day order, sized for
    every user index that can exist by then: regular users and bots, and `new_per_day` more per later
    day (bots number their days apart, in blocks of their own). So a day's numbers never depend on how
    many days follow it, nor on how many runs generated them. Session numbers are these numbers times
    the sessions per day plus the slot.

    Attributes:
        days: Length of the period.
        regular_users: Regular users of the period (indexes 0..regular_users-1).
        bots: Bot users (indexes regular_users..regular_users+bots-1).
        new_per_day: Users registering on each later day (indexes from regular_users + bots on).
    """

    days: int
    regular_users: int
    bots: int
    new_per_day: int

    def user_day(self, user_idx: Column, day_idx: Column) -> Column:
        """The number of a regular (or later) user's day: unique over users and days."""
        e = (day_idx - F.lit(self.days)).cast("long")
        later = (
            F.lit(self.regular_users * self.days)
            + e * F.lit(self.regular_users + self.bots)
            # The later days before e held new_per_day * (1 + 2 + ... + e) later users' numbers.
            + F.lit(self.new_per_day) * F.shiftright(e * (e + F.lit(1)), 1)
            + user_idx
        )
        return F.when(day_idx < F.lit(self.days), user_idx * F.lit(self.days) + day_idx).otherwise(later)

    def bot_day(self, bot_no: Column, day_idx: Column) -> Column:
        """The number of a bot's day (`bot_no` counts bots from 0): unique over bots and days."""
        e = (day_idx - F.lit(self.days)).cast("long")
        later = F.lit(self.bots * self.days) + e * F.lit(self.bots) + bot_no
        return F.when(day_idx < F.lit(self.days), bot_no * F.lit(self.days) + day_idx).otherwise(later)

    def user_days_through(self, last_day: int) -> int:
        """How many user-day numbers days 0..last_day use (the capacity the ids must hold)."""
        if last_day < self.days:
            return self.regular_users * self.days
        later = last_day + 1 - self.days
        indexes = self.regular_users + self.bots
        return self.regular_users * self.days + later * indexes + self.new_per_day * later * (later + 1) // 2


def _zero_padded(prefix: str, number: Column, digits: int) -> Column:
    """`prefix` + `number` zero-padded to `digits` digits (more when needed): format_string("%0<digits>d")
    without its per-row java.util.Formatter, which item ids, one per event, made costly."""
    text = number.cast("string")
    return F.concat(
        F.lit(prefix), F.when(number < F.lit(10**digits), F.lpad(text, digits, "0")).otherwise(text)
    )


def user_id(user_idx: Column) -> Column:
    """ "u0000123": the user index, zero-padded to seven digits (more digits when needed)."""
    return _zero_padded("u", user_idx, 7)


def item_id(item_idx: Column, n_items: int) -> Column:
    """ "i000123": a permutation of the item index, so popularity rank is not readable from the id."""
    if math.gcd(_ITEM_MULTIPLIER, n_items) != 1:
        raise ValueError(f"generator.items = {n_items} shares a factor with the item-id permutation")
    scrambled = F.pmod(item_idx * F.lit(_ITEM_MULTIPLIER) + F.lit(_ITEM_SHIFT), F.lit(n_items))
    return _zero_padded("i", scrambled, 6)


def _mix48(number: Column, key: int) -> Column:
    """A bijection of [0, 2**48): xor with a key, then two rounds of odd multiply and xor-shift."""
    x = number.bitwiseXOR(F.lit(key & _MASK))
    for multiplier in _MULTIPLIERS:
        x = (x * F.lit(multiplier)).bitwiseAND(F.lit(_MASK))
        x = x.bitwiseXOR(F.shiftright(x, ID_BITS // 2))
    return x


def opaque_id(prefix: str, number: Column, key: int) -> Column:
    """`prefix` + 12 hex digits of the 48-bit bijection of `number` (unique for unique numbers)."""
    # Byte by byte from a table of "00".."ff": hex() writes upper case, and lowering it (lower() maps
    # Unicode case, translate() walks a map per character) cost more than the rest of the id.
    mixed = _mix48(number, key)
    pairs = literal_array(_HEX_PAIRS)
    digits = [
        F.element_at(pairs, (F.shiftright(mixed, 8 * byte).bitwiseAND(F.lit(0xFF)) + F.lit(1)).cast("int"))
        for byte in reversed(range(ID_BITS // 8))
    ]
    return F.concat(F.lit(prefix), *digits)


def session_id(session_no: Column) -> Column:
    return opaque_id("s", session_no, 0x5E5510)


def event_id(event_no: Column) -> Column:
    return opaque_id("e", event_no, 0xE7E17)


def order_id(session_no: Column) -> Column:
    """Orders are numbered by their session: a session places at most one order."""
    return opaque_id("o", session_no, 0x0DE5)


def event_no(session_no: Column, pos: Column | int) -> Column:
    """The number behind an event id: the session number times the slots per session plus the position."""
    position = pos if isinstance(pos, Column) else F.lit(pos)
    return session_no * F.lit(EVENT_SLOTS) + position.cast("long")


def permuted_digits(user_idx: Column, digits: int, salt: int) -> Column:
    """`digits` zero-padded digits that differ for every user index below 10**digits."""
    modulus = 10**digits
    value = F.pmod(user_idx * F.lit(_PHONE_MULTIPLIER) + F.lit(salt), F.lit(modulus))
    return F.lpad(value.cast("string"), digits, "0")
