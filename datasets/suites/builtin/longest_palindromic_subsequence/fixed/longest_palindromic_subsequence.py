def longest_palindromic_subsequence(s):
    """Return the length of the longest palindromic subsequence of s.

    This equals the longest common subsequence of s and its reverse; the
    reverse is read by index instead of being copied.
    """
    n = len(s)
    # table[i][j]: LCS of the first i characters of s and the first j of reversed s.
    table = [[0] * (n + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, n + 1):
            if s[i - 1] == s[n - j]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table[n][n]
