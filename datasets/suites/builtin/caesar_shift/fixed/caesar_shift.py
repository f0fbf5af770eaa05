def caesar_shift(text, shift):
    """Shift each ASCII letter forward by shift places, wrapping around.

    Case is kept, other characters are unchanged; shift may be negative.
    """
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            base = ord("a")
        elif "A" <= ch <= "Z":
            base = ord("A")
        else:
            out.append(ch)
            continue
        out.append(chr(base + (ord(ch) - base + shift) % 26))
    return "".join(out)
