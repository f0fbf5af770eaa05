def euler_totient(n):
    """Return how many integers in 1..n are coprime to n (n >= 1)."""
    result = n
    p = 2
    while p * p <= n:
        if n % p == 0:
            # p is a prime factor: remove it entirely, then scale by (1 - 1/p).
            while n % p == 0:
                n //= p
            result -= result // p
        p += 1
    if n > 1:
        # What is left is a prime factor larger than the square root.
        result -= result // n
    return result
