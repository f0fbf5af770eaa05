def roman_to_int(numeral):
    """Convert a valid Roman numeral (I to MMMCMXCIX) to an int."""
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, ch in enumerate(numeral):
        value = values[ch]
        # Subtractive pairs such as IV, XC and CM.
        if i + 1 < len(numeral) and value < values[numeral[i + 1]]:
            total -= value
        else:
            total += value
    return total
