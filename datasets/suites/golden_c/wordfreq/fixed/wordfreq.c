/* wordfreq: statistics of a text and its most frequent words.
 *
 *     wordfreq [-n TOP] [-i] [-m MINLEN] [-s] < text
 *
 * Prints the number of lines, words, characters and distinct words, the
 * longest word, the mean word length, then the TOP (default 10) most frequent
 * words with their counts, most frequent first, ties in alphabetical order.
 * A word is a run of letters, digits, apostrophes and hyphens inside a word;
 * -i folds case, -m skips words shorter than MINLEN, -s prints a histogram of
 * word lengths.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_MAX 64
#define INITIAL_BUCKETS 64
#define MAX_LENGTH_BAR 40

struct entry {
    char *word;
    long count;
    struct entry *next;
};

struct table {
    struct entry **buckets;
    size_t nbuckets;
    size_t size;
};

static unsigned long hash(const char *s) {
    unsigned long h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

static void table_init(struct table *t) {
    t->nbuckets = INITIAL_BUCKETS;
    t->size = 0;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
}

static void table_grow(struct table *t) {
    size_t n = t->nbuckets * 2;
    struct entry **fresh = calloc(n, sizeof *fresh);
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct entry *e = t->buckets[i];
        while (e) {
            struct entry *next = e->next;
            size_t b = hash(e->word) % n;
            e->next = fresh[b];
            fresh[b] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = fresh;
    t->nbuckets = n;
}

static void table_add(struct table *t, const char *word) {
    size_t b = hash(word) % t->nbuckets;
    for (struct entry *e = t->buckets[b]; e; e = e->next) {
        if (strcmp(e->word, word) == 0) {
            e->count++;
            return;
        }
    }
    struct entry *e = malloc(sizeof *e);
    e->word = strdup(word);
    e->count = 1;
    e->next = t->buckets[b];
    t->buckets[b] = e;
    if (++t->size > 2 * t->nbuckets) table_grow(t);
}

static struct entry **table_entries(const struct table *t) {
    struct entry **all = malloc((t->size + 1) * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (struct entry *e = t->buckets[i]; e; e = e->next) all[k++] = e;
    return all;
}

static void table_free(struct table *t) {
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct entry *e = t->buckets[i];
        while (e) {
            struct entry *next = e->next;
            free(e->word);
            free(e);
            e = next;
        }
    }
    free(t->buckets);
}

/* Most frequent first; equal counts in alphabetical order. */
static int by_count(const void *a, const void *b) {
    const struct entry *x = *(const struct entry *const *)a;
    const struct entry *y = *(const struct entry *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

static int word_char(int c, int inside) {
    if (isalnum(c)) return 1;
    return inside && (c == '\'' || c == '-');
}

struct stats {
    long lines, words, chars, letters;
    char longest[WORD_MAX + 1];
    long lengths[WORD_MAX + 1];
};

static void count_word(struct table *t, struct stats *st, char *word, size_t len, long min_len) {
    while (len > 0 && (word[len - 1] == '\'' || word[len - 1] == '-')) len--;
    word[len] = '\0';
    if (len == 0 || (long)len < min_len) return;
    st->words++;
    st->letters += (long)len;
    st->lengths[len]++;
    if (len > strlen(st->longest) ||
        (len == strlen(st->longest) && strcmp(word, st->longest) < 0))
        memcpy(st->longest, word, len + 1);
    table_add(t, word);
}

static void read_text(FILE *in, struct table *t, struct stats *st, int fold, long min_len) {
    char word[WORD_MAX + 1];
    size_t len = 0;
    int c, last = '\n';
    while ((c = getc(in)) != EOF) {
        st->chars++;
        if (c == '\n') st->lines++;
        last = c;
        if (word_char(c, len > 0)) {
            if (len < WORD_MAX) word[len++] = (char)(fold ? tolower(c) : c);
            continue;
        }
        if (len) count_word(t, st, word, len, min_len);
        len = 0;
    }
    if (len) count_word(t, st, word, len, min_len);
    if (last != '\n' && st->chars) st->lines++; /* a last line without a newline */
}

static void histogram(const struct stats *st) {
    long most = 0;
    for (int i = 1; i <= WORD_MAX; i++)
        if (st->lengths[i] > most) most = st->lengths[i];
    for (int i = 1; i <= WORD_MAX; i++) {
        if (!st->lengths[i]) continue;
        int bar = (int)((st->lengths[i] * MAX_LENGTH_BAR + most - 1) / most);
        printf("%2d %5ld ", i, st->lengths[i]);
        for (int k = 0; k < bar; k++) putchar('#');
        putchar('\n');
    }
}

static int usage(void) {
    fprintf(stderr, "usage: wordfreq [-n TOP] [-i] [-m MINLEN] [-s] < text\n");
    return 2;
}

int main(int argc, char **argv) {
    long top = 10, min_len = 0;
    int fold = 0, hist = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            top = strtol(argv[++i], NULL, 10);
            if (top < 0) return usage();
        } else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
            min_len = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-i") == 0) {
            fold = 1;
        } else if (strcmp(argv[i], "-s") == 0) {
            hist = 1;
        } else {
            return usage();
        }
    }
    struct table t;
    struct stats st;
    memset(&st, 0, sizeof st);
    table_init(&t);
    read_text(stdin, &t, &st, fold, min_len);
    printf("lines %ld, words %ld, characters %ld, distinct %zu\n", st.lines, st.words,
           st.chars, t.size);
    if (st.words) {
        printf("longest: %s (%zu)\n", st.longest, strlen(st.longest));
        printf("mean length: %.2f\n", (double)st.letters / (double)st.words);
    }
    struct entry **all = table_entries(&t);
    qsort(all, t.size, sizeof *all, by_count);
    for (size_t i = 0; i < t.size && (long)i < top; i++)
        printf("%4ld %s\n", all[i]->count, all[i]->word);
    if (hist) histogram(&st);
    free(all);
    table_free(&t);
    return 0;
}
