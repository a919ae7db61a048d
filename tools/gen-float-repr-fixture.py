"""Python's repr() of about 30 000 doubles, the spec of the codec's float printing
(src/rust/core/src/codec/float.rs; Keras writes floats with json.dumps, which uses float.__repr__).
Run by hand (any Python 3; the venv's is the one Keras runs on):

    /work/venv-keras/bin/python tools/gen-float-repr-fixture.py

Writes src/rust/core/testdata/float-repr.txt: `#` comment lines, then one repr per line. A repr reads back
to its double exactly (Python guarantees it and this script checks it), so the file holds only the
text and the cargo test parses each line to get its double back. Sections, from a fixed seed:
- edge cases: zero, subnormals, extremes, the notation thresholds, powers of ten and their neighbours,
  every power of two;
- uniformly random finite bit patterns (mostly scientific notation);
- random doubles whose decimal exponent is near Python's fixed range [-4, 16);
- float32 values widened to double, as Keras stores its float32 hyperparameters (0.0010000000474974513);
- exact ties: doubles exactly halfway between two shortest candidates, which Python breaks to even;
- short decimals typed by people (0.001, 2.5e-05).
"""
import math
import pathlib
import random
import struct
import sys
from decimal import Decimal

OUT = pathlib.Path(__file__).resolve().parent.parent / "src" / "rust" / "core" / "testdata" / "float-repr.txt"
rng = random.Random(20261202)


def from_bits(bits):
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def widen_f32(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def is_tie(x):
    """x lies exactly halfway between two decimals with as many digits as its shortest repr."""
    exact = Decimal(x).as_tuple().digits
    shortest = Decimal(repr(abs(x))).normalize().as_tuple().digits
    return len(exact) == len(shortest) + 1 and exact[-1] == 5


def edge_cases():
    xs = [0.0, -0.0, 5e-324, -5e-324, 1e-323, 1.5e-323, 2.225073858507201e-308, 2.2250738585072014e-308,
          1.7976931348623157e308, -1.7976931348623157e308, 0.1 + 0.2, 1 / 3, 2 / 3, math.pi, math.e,
          1e15, 1e16, 1e16 - 2, 1e16 + 2, 9999999999999998.0, 123456789012345680.0, 0.0001, 0.00001,
          1e-4 * (1 - 2**-52), 0.000123, 0.0000123, 100.0, 0.5, 1.5, 2.0, 9007199254740993.0,
          float(2**53), float(2**63), float(2**64), 1e22, 1e23, 123456789.123, 1234567890123456.7,
          5.444310685350916e14, 6.62607015e-34, 3.439070283483335e35, 6.606854224493745e-17,
          6.079537928711555e61, 2.9802322387695312e-08, 5.960464477539063e-08, 4.940656458412465e-324,
          widen_f32(0x7F7FFFFF), widen_f32(0x00000001), widen_f32(0x00800000), 0.001, 0.9, 0.99, 1e-07]
    xs += [widen_f32(struct.unpack("<I", struct.pack("<f", v))[0]) for v in (0.1, 0.9, 0.001, 1e-07, 0.99, 0.3)]
    for e in range(-30, 31):
        p = float(f"1e{e}")
        xs += [p, math.nextafter(p, 0), math.nextafter(p, math.inf)]
    for e in (-1074, -1022, -1, 0, 1, 52, 53, 1023):
        xs.append(math.nextafter(math.ldexp(1.0, e), 0))
    # Every power of two: the double below is nearer than the one above, so the shortest digits
    # need care (2**-24 is 5.960464477539063e-08, not the ...062 that an even-digit rule gives).
    xs += [math.ldexp(1.0, e) for e in range(-1074, 1024)]
    return xs


def random_finite_bits():
    while True:
        x = from_bits(rng.getrandbits(64))
        if math.isfinite(x):
            return x


def random_near_fixed_range():
    # Biased exponents 1003..1080: 2^-20 (~1e-6) to 2^57 (~1.4e17).
    bits = (rng.getrandbits(1) << 63) | (rng.randint(1003, 1080) << 52) | rng.getrandbits(52)
    return from_bits(bits)


def random_float32():
    while True:
        if rng.random() < 0.5:
            x = widen_f32(rng.getrandbits(32))
        else:
            x = widen_f32(struct.unpack("<I", struct.pack("<f", 10 ** rng.uniform(-6, 6)))[0])
        if math.isfinite(x):
            return x


def random_tie():
    # Halfway points need a short exact expansion ending in 5: a 53-bit significand with a few
    # fractional bits, around 1e13..1e16.
    while True:
        x = math.ldexp(rng.getrandbits(52) | 1 << 52, -rng.randint(1, 8) + rng.randint(-4, 0))
        x = -x if rng.getrandbits(1) else x
        if is_tie(x):
            return x


def random_short_decimal():
    digits = rng.randint(1, 17)
    mantissa = rng.randint(10 ** (digits - 1), 10**digits - 1)
    return float(f"{'-' if rng.getrandbits(1) else ''}{mantissa}e{rng.randint(-25, 25) - digits}")


sections = [
    ("edge cases", edge_cases()),
    ("uniformly random finite bit patterns", [random_finite_bits() for _ in range(20000)]),
    ("random doubles with decimal exponents in [-6, 17]", [random_near_fixed_range() for _ in range(3000)]),
    ("float32 values widened to double", [random_float32() for _ in range(3000)]),
    ("exact ties, broken to the even digit", [random_tie() for _ in range(2000)]),
    ("short decimals", [random_short_decimal() for _ in range(2000)]),
]

lines = [
    "# Python's repr() of doubles, one a line; written by tools/gen-float-repr-fixture.py",
    f"# with Python {sys.version.split()[0]}. Do not edit.",
]
for title, xs in sections:
    lines.append(f"# {title}: {len(xs)}")
    for x in xs:
        text = repr(x)
        assert struct.pack("<d", float(text)) == struct.pack("<d", x), text
        lines.append(text)
ties = sum(is_tie(float(t)) for t in lines if not t.startswith("#"))
lines.insert(2, f"# {len(lines) - 2 - len(sections)} values, {ties} of them exact ties")
OUT.parent.mkdir(exist_ok=True)
OUT.write_text("\n".join(lines) + "\n")
print(f"{OUT}: {lines[2][2:]}, {OUT.stat().st_size} bytes")
