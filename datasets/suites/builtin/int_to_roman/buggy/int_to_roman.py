def int_to_roman(number):
    """Convert an int in 1..3999 to a Roman numeral string."""
    table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "DC"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "LX"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ]
    parts = []
    for value, symbol in table:
        count, number = divmod(number, value)
        parts.append(symbol * count)
    return "".join(parts)
