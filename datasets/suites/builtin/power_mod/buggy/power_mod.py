def power_mod(base, exponent, modulus):
    """Return base ** exponent % modulus (exponent >= 0, modulus >= 1).

    Uses binary exponentiation, so huge exponents are cheap.
    """
    result = 1 % modulus
    base %= modulus
    while exponent > 0:
        if exponent & 1:
            result = result * base % modulus
            exponent >>= 1
        base = base * base % modulus
    return result
