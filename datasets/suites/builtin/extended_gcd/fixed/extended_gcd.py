def extended_gcd(a, b):
    """Return [g, x, y] with g = gcd(a, b) >= 0 and a * x + b * y == g.

    Recursive extended Euclid; a and b may be negative, and gcd(0, 0) is 0.
    """
    if b == 0:
        return [abs(a), 1 if a >= 0 else -1, 0]
    quotient, remainder = divmod(a, b)
    g, x, y = extended_gcd(b, remainder)
    # b * x + (a - quotient * b) * y == g, regrouped by a and b.
    return [g, y, x - quotient * y]
