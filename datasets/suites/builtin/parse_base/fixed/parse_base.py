def parse_base(text, base):
    """Parse text as an integer in base 2..36, with an optional leading '-'.

    Letters a-z (either case) stand for the digits 10-35.
    """
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    value = 0
    for ch in text.lower():
        digit = ord(ch) - ord("0") if "0" <= ch <= "9" else ord(ch) - ord("a") + 10
        if not 0 <= digit < base:
            raise ValueError(f"invalid digit {ch!r} for base {base}")
        value = value * base + digit
    return -value if negative else value
