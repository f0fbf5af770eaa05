def run_length_encode(s):
    """Encode s as a list of [character, run length] pairs, in order."""
    runs = []
    current = None
    count = 0
    for ch in s:
        if ch != current:
            current, count = ch, 0
        count += 1
    if count:
        runs.append([current, count])
    return runs
