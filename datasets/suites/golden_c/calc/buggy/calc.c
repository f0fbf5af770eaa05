/* calc: a small calculator for integer and decimal expressions.
 *
 * Reads one statement a line from stdin and prints each result:
 *
 *     let x = 3 * (4 + 5)
 *     x / 2 - 1
 *     max(x, 10) % 7
 *
 * Numbers are doubles; operators + - * / % ^ (right-associative power),
 * unary minus, parentheses, the functions abs, min, max, sqrt, and variables
 * set with "let".  With "-p N" results print with N decimals (default 4).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 512
#define MAX_TOKENS 256
#define MAX_VARS 64
#define NAME_LEN 32

enum kind { T_NUM, T_NAME, T_OP, T_LPAREN, T_RPAREN, T_COMMA, T_END };

struct token {
    enum kind kind;
    double value;
    char text[NAME_LEN];
};

struct var {
    char name[NAME_LEN];
    double value;
};

static struct token tokens[MAX_TOKENS];
static int ntokens;
static int pos;
static struct var vars[MAX_VARS];
static int nvars;
static char error[128];

static void fail(const char *message) {
    if (!error[0]) snprintf(error, sizeof error, "%s", message);
}

static int tokenize(const char *line) {
    ntokens = 0;
    const char *p = line;
    while (*p) {
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        if (ntokens >= MAX_TOKENS - 1) {
            fail("line too long");
            return -1;
        }
        struct token *t = &tokens[ntokens];
        if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
            char *end;
            t->kind = T_NUM;
            t->value = strtod(p, &end);
            p = end;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            int n = 0;
            while ((isalnum((unsigned char)*p) || *p == '_') && n < NAME_LEN - 1)
                t->text[n++] = *p++;
            t->text[n] = '\0';
            t->kind = T_NAME;
        } else if (strchr("+-*/%^=", *p)) {
            t->kind = T_OP;
            t->text[0] = *p++;
            t->text[1] = '\0';
        } else if (*p == '(') {
            t->kind = T_LPAREN;
            p++;
        } else if (*p == ')') {
            t->kind = T_RPAREN;
            p++;
        } else if (*p == ',') {
            t->kind = T_COMMA;
            p++;
        } else {
            fail("unexpected character");
            return -1;
        }
        ntokens++;
    }
    tokens[ntokens].kind = T_END;
    return ntokens;
}

static struct token *peek(void) { return &tokens[pos]; }

static int is_op(char c) {
    return peek()->kind == T_OP && peek()->text[0] == c;
}

static double *lookup(const char *name, int create) {
    for (int i = 0; i < nvars; i++)
        if (strcmp(vars[i].name, name) == 0) return &vars[i].value;
    if (!create || nvars >= MAX_VARS) return NULL;
    snprintf(vars[nvars].name, NAME_LEN, "%s", name);
    vars[nvars].value = 0;
    return &vars[nvars++].value;
}

static double expression(void);

static double call(const char *name) {
    double args[4];
    int n = 0;
    pos++; /* the '(' */
    if (peek()->kind != T_RPAREN) {
        for (;;) {
            double v = expression();
            if (n < 4) args[n++] = v;
            if (peek()->kind != T_COMMA) break;
            pos++;
        }
    }
    if (peek()->kind != T_RPAREN) {
        fail("missing ')' after arguments");
        return 0;
    }
    pos++;
    if (strcmp(name, "abs") == 0 && n == 1) return fabs(args[0]);
    if (strcmp(name, "sqrt") == 0 && n == 1) {
        if (args[0] < 0) fail("sqrt of a negative number");
        return args[0] < 0 ? 0 : sqrt(args[0]);
    }
    if (strcmp(name, "min") == 0 && n >= 1) {
        double m = args[0];
        for (int i = 1; i < n; i++) if (args[i] < m) m = args[i];
        return m;
    }
    if (strcmp(name, "max") == 0 && n >= 1) {
        double m = args[0];
        for (int i = 1; i < n - 1; i++) if (args[i] > m) m = args[i];
        return m;
    }
    fail("unknown function or wrong number of arguments");
    return 0;
}

static double primary(void) {
    struct token *t = peek();
    if (t->kind == T_NUM) {
        pos++;
        return t->value;
    }
    if (t->kind == T_NAME) {
        pos++;
        if (peek()->kind == T_LPAREN) return call(t->text);
        double *v = lookup(t->text, 0);
        if (!v) {
            fail("unknown variable");
            return 0;
        }
        return *v;
    }
    if (t->kind == T_LPAREN) {
        pos++;
        double v = expression();
        if (peek()->kind != T_RPAREN) fail("missing ')'");
        else pos++;
        return v;
    }
    fail("expected a number, a name or '('");
    return 0;
}

static double unary(void) {
    if (is_op('-')) {
        pos++;
        return -unary();
    }
    if (is_op('+')) {
        pos++;
        return unary();
    }
    return primary();
}

static double power(void) {
    double base = unary();
    if (is_op('^')) {
        pos++;
        double exponent = power(); /* right-associative */
        return pow(base, exponent);
    }
    return base;
}

static double term(void) {
    double v = power();
    while (is_op('*') || is_op('/') || is_op('%')) {
        char op = peek()->text[0];
        pos++;
        double rhs = power();
        if (op == '*') {
            v *= rhs;
        } else if (rhs == 0) {
            fail("division by zero");
            return 0;
        } else if (op == '/') {
            v /= rhs;
        } else {
            v = fmod(v, rhs);
        }
    }
    return v;
}

static double expression(void) {
    double v = term();
    while (is_op('+') || is_op('-')) {
        char op = peek()->text[0];
        pos++;
        double rhs = term();
        v = op == '+' ? v + rhs : v - rhs;
    }
    return v;
}

static int statement(const char *line, double *result) {
    error[0] = '\0';
    pos = 0;
    if (tokenize(line) < 0) return -1;
    if (ntokens == 0) return 0;
    if (tokens[0].kind == T_NAME && strcmp(tokens[0].text, "let") == 0) {
        if (ntokens < 4 || tokens[1].kind != T_NAME || tokens[2].kind != T_OP ||
            tokens[2].text[0] != '=') {
            fail("expected: let NAME = EXPRESSION");
            return -1;
        }
        pos = 3;
        double v = expression();
        if (!error[0] && peek()->kind != T_END) fail("unexpected text after the expression");
        if (error[0]) return -1;
        double *slot = lookup(tokens[1].text, 1);
        if (!slot) {
            fail("too many variables");
            return -1;
        }
        *slot = v;
        *result = v;
        return 1;
    }
    double v = expression();
    if (!error[0] && peek()->kind != T_END) fail("unexpected text after the expression");
    if (error[0]) return -1;
    *result = v;
    return 1;
}

int main(int argc, char **argv) {
    int decimals = 4;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
            decimals = atoi(argv[++i]);
            if (decimals < 0 || decimals > 12) {
                fprintf(stderr, "calc: -p takes 0 to 12\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: calc [-p DECIMALS] < statements\n");
            return 2;
        }
    }
    char line[MAX_LINE];
    int number = 0, errors = 0;
    while (fgets(line, sizeof line, stdin)) {
        number++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#') continue;
        double result;
        int done = statement(line, &result);
        if (done < 0) {
            printf("%d: error: %s\n", number, error);
            errors++;
        } else if (done > 0) {
            printf("%d: %.*f\n", number, decimals, result);
        }
    }
    printf("%d lines, %d errors, %d variables\n", number, errors, nvars);
    return errors ? 1 : 0;
}
