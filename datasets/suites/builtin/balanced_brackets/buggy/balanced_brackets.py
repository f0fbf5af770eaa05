def balanced_brackets(text):
    """Return True if (), [] and {} in text are balanced and properly nested.

    Characters other than brackets are ignored.
    """
    closing_to_opening = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in closing_to_opening:
            opening = stack.pop() if stack else None
            if opening != closing_to_opening[ch]:
                return False
    return True
