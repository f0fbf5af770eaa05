/* vm: assemble and run programs for a small stack machine.
 *
 *     vm [-t] [ARG...] < program.asm
 *
 * One instruction a line; "name:" defines a label; ';' starts a comment.
 *   push N   pop   dup   swap   over
 *   add sub mul div mod neg   eq lt gt   not
 *   jmp L   jz L   jnz L   call L   ret
 *   load K  (push the K-th command-line argument, 0-based)
 *   print   (pop and print)   halt
 * With -t each executed instruction is traced.  The exit status is 0 after
 * halt, 1 after a run-time error, 2 when the program does not assemble.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CODE 1024
#define MAX_LABELS 128
#define STACK 256
#define MAX_STEPS 1000000

enum op {
    OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
    OP_NEG, OP_EQ, OP_LT, OP_GT, OP_NOT, OP_JMP, OP_JZ, OP_JNZ, OP_CALL, OP_RET,
    OP_LOAD, OP_PRINT, OP_HALT, OP_COUNT
};

static const char *names[OP_COUNT] = {
    "push", "pop", "dup", "swap", "over", "add", "sub", "mul", "div", "mod",
    "neg", "eq", "lt", "gt", "not", "jmp", "jz", "jnz", "call", "ret",
    "load", "print", "halt"
};

struct insn {
    enum op op;
    long arg;
    char label[32]; /* for jumps and calls, until resolved */
    int line;
};

struct label {
    char name[32];
    int at;
};

static struct insn code[MAX_CODE];
static int ncode;
static struct label labels[MAX_LABELS];
static int nlabels;
static long stack[STACK];
static int sp;
static int frames[STACK];
static int fp;

static int takes_label(enum op op) {
    return op == OP_JMP || op == OP_JZ || op == OP_JNZ || op == OP_CALL;
}

static int takes_number(enum op op) { return op == OP_PUSH || op == OP_LOAD; }

static int assemble_line(char *line, int number) {
    char *semi = strchr(line, ';');
    if (semi) *semi = '\0';
    char *word = strtok(line, " \t\r\n");
    if (!word) return 0;
    size_t len = strlen(word);
    if (word[len - 1] == ':') {
        word[len - 1] = '\0';
        if (nlabels >= MAX_LABELS || len - 1 >= sizeof labels[0].name) {
            printf("line %d: too many labels or a label too long\n", number);
            return -1;
        }
        for (int i = 0; i < nlabels; i++) {
            if (strcmp(labels[i].name, word) == 0) {
                printf("line %d: label %s defined twice\n", number, word);
                return -1;
            }
        }
        strcpy(labels[nlabels].name, word);
        labels[nlabels++].at = ncode;
        word = strtok(NULL, " \t\r\n");
        if (!word) return 0;
    }
    int op = 0;
    while (op < OP_COUNT && strcmp(names[op], word) != 0) op++;
    if (op == OP_COUNT) {
        printf("line %d: unknown instruction %s\n", number, word);
        return -1;
    }
    if (ncode >= MAX_CODE) {
        printf("line %d: program too long\n", number);
        return -1;
    }
    struct insn *in = &code[ncode];
    memset(in, 0, sizeof *in);
    in->op = (enum op)op;
    in->line = number;
    char *operand = strtok(NULL, " \t\r\n");
    if (takes_label(in->op) || takes_number(in->op)) {
        if (!operand) {
            printf("line %d: %s needs an operand\n", number, word);
            return -1;
        }
        if (takes_label(in->op)) {
            snprintf(in->label, sizeof in->label, "%s", operand);
        } else {
            char *end;
            in->arg = strtol(operand, &end, 10);
            if (*end) {
                printf("line %d: %s is not a number\n", number, operand);
                return -1;
            }
        }
    } else if (operand) {
        printf("line %d: %s takes no operand\n", number, word);
        return -1;
    }
    ncode++;
    return 0;
}

static int resolve(void) {
    for (int i = 0; i < ncode; i++) {
        if (!takes_label(code[i].op)) continue;
        int found = -1;
        for (int j = 0; j < nlabels; j++)
            if (strcmp(labels[j].name, code[i].label) == 0) found = labels[j].at;
        if (found < 0) {
            printf("line %d: no label %s\n", code[i].line, code[i].label);
            return -1;
        }
        code[i].arg = found;
    }
    return 0;
}

static int need(int n, int pc) {
    if (sp < n) {
        printf("error at line %d: stack underflow\n", code[pc].line);
        return 0;
    }
    return 1;
}

static int push(long v, int pc) {
    if (sp >= STACK) {
        printf("error at line %d: stack overflow\n", code[pc].line);
        return 0;
    }
    stack[sp++] = v;
    return 1;
}

static int run(int argc, char **argv, int trace) {
    int pc = 0;
    long steps = 0;
    while (pc < ncode) {
        if (++steps > MAX_STEPS) {
            printf("error: more than %d steps\n", MAX_STEPS);
            return 1;
        }
        struct insn *in = &code[pc];
        if (trace) printf("  %3d %-5s sp=%d\n", pc, names[in->op], sp);
        int next = pc + 1;
        long a, b;
        switch (in->op) {
        case OP_PUSH: if (!push(in->arg, pc)) return 1; break;
        case OP_POP: if (!need(1, pc)) return 1; sp--; break;
        case OP_DUP: if (!need(1, pc) || !push(stack[sp - 1], pc)) return 1; break;
        case OP_SWAP:
            if (!need(2, pc)) return 1;
            a = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = a;
            break;
        case OP_OVER: if (!need(2, pc) || !push(stack[sp - 2], pc)) return 1; break;
        case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
        case OP_EQ: case OP_LT: case OP_GT:
            if (!need(2, pc)) return 1;
            b = stack[--sp];
            a = stack[--sp];
            if ((in->op == OP_DIV || in->op == OP_MOD) && b == 0) {
                printf("error at line %d: division by zero\n", in->line);
                return 1;
            }
            switch (in->op) {
            case OP_ADD: a = a + b; break;
            case OP_SUB: a = b - a; break;
            case OP_MUL: a = a * b; break;
            case OP_DIV: a = a / b; break;
            case OP_MOD: a = a % b; break;
            case OP_EQ: a = a == b; break;
            case OP_LT: a = a < b; break;
            default: a = a > b; break;
            }
            stack[sp++] = a;
            break;
        case OP_NEG: if (!need(1, pc)) return 1; stack[sp - 1] = -stack[sp - 1]; break;
        case OP_NOT: if (!need(1, pc)) return 1; stack[sp - 1] = !stack[sp - 1]; break;
        case OP_JMP: next = (int)in->arg; break;
        case OP_JZ: case OP_JNZ:
            if (!need(1, pc)) return 1;
            a = stack[--sp];
            if ((a == 0) == (in->op == OP_JZ)) next = (int)in->arg;
            break;
        case OP_CALL:
            if (fp >= STACK) {
                printf("error at line %d: calls nested too deep\n", in->line);
                return 1;
            }
            frames[fp++] = pc + 1;
            next = (int)in->arg;
            break;
        case OP_RET:
            if (fp == 0) {
                printf("error at line %d: ret outside a call\n", in->line);
                return 1;
            }
            next = frames[--fp];
            break;
        case OP_LOAD:
            if (in->arg < 0 || in->arg >= argc) {
                printf("error at line %d: no argument %ld\n", in->line, in->arg);
                return 1;
            }
            if (!push(strtol(argv[in->arg], NULL, 10), pc)) return 1;
            break;
        case OP_PRINT: if (!need(1, pc)) return 1; printf("%ld\n", stack[--sp]); break;
        case OP_HALT: return 0;
        default: return 1;
        }
        pc = next;
    }
    printf("error: ran past the end of the program\n");
    return 1;
}

int main(int argc, char **argv) {
    int trace = 0, first = 1;
    if (argc > 1 && strcmp(argv[1], "-t") == 0) {
        trace = 1;
        first = 2;
    }
    char line[256];
    int number = 0;
    while (fgets(line, sizeof line, stdin)) {
        number++;
        if (assemble_line(line, number) < 0) return 2;
    }
    if (resolve() < 0) return 2;
    printf("assembled %d instructions, %d labels\n", ncode, nlabels);
    int status = run(argc - first, argv + first, trace);
    printf("stack depth %d at the end\n", sp);
    return status;
}
