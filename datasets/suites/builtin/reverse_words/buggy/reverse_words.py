def reverse_words(sentence):
    """Return the words of sentence in reverse order, joined by single spaces.

    Words are maximal runs of non-whitespace characters; any amount of
    whitespace between, before or after them collapses away.
    """
    words = []
    n = len(sentence)
    start = 0
    while start < n:
        while start < n and sentence[start].isspace():
            start += 1
        end = start
        while end < n and not sentence[end].isspace():
            end += 1
        end += 1
        if end > start:
            words.append(sentence[start:end])
        start = end
    return " ".join(reversed(words))
