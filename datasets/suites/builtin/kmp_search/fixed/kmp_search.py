def _prefix_table(word):
    """fail[i] is the length of the longest proper border of word[: i + 1]."""
    fail = [0] * len(word)
    k = 0
    for i in range(1, len(word)):
        while k > 0 and word[i] != word[k]:
            k = fail[k - 1]
        if word[i] == word[k]:
            k += 1
        fail[i] = k
    return fail


def kmp_search(text, pattern):
    """Return every index where pattern starts in text, overlaps included."""
    if not pattern:
        return list(range(len(text) + 1))
    fail = _prefix_table(pattern)
    matches = []
    k = 0  # number of pattern characters currently matched
    for i, ch in enumerate(text):
        while k > 0 and ch != pattern[k]:
            k = fail[k - 1]
        if ch == pattern[k]:
            k += 1
        if k == len(pattern):
            matches.append(i - k + 1)
            k = fail[k - 1]
    return matches
