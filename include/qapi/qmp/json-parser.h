/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON message parser: split a byte stream into JSON values (QMP input). */
#ifndef QAPI_QMP_JSON_PARSER_H
#define QAPI_QMP_JSON_PARSER_H

#include <jansson.h>

/* Bounds on one value, as QEMU's: larger input is an error, not a hog. */
#define MAX_TOKEN_SIZE (64ULL << 20)   /* bytes of tokens in one value */
#define MAX_TOKEN_COUNT (2ULL << 20)   /* tokens in one value */
#define MAX_NESTING (1 << 10)          /* open brackets and braces */

typedef struct JSONLexer {
    int start_state;          /* state to return to after a token */
    int state;                /* current lexer state */
    GString *token;           /* text of the token being lexed */
    int x, y;                 /* column, line of the current character */
} JSONLexer;

typedef struct JSONMessageParser {
    /* Called once per value: exactly one of @json and @err is non-NULL;
     * the callee owns both. */
    void (*emit)(void *opaque, json_t *json, Error *err);
    void *opaque;
    va_list *ap;              /* unused: no %-interpolation in minivmm */
    JSONLexer lexer;
    int brace_count;          /* open '{' in the current value */
    int bracket_count;        /* open '[' in the current value */
    GQueue tokens;            /* tokens of the current value */
    uint64_t token_size;      /* bytes in @tokens */
} JSONMessageParser;

/**
 * json_message_parser_init:
 * Set up @parser to call @emit for each complete top-level JSON value
 * fed to it, or for each error.  After an error the parser resumes at
 * the next '{', '[', ']', '}' or newline, as QEMU does.
 */
void json_message_parser_init(JSONMessageParser *parser,
                              void (*emit)(void *opaque, json_t *json,
                                           Error *err),
                              void *opaque, va_list *ap);

/* Feed @size bytes; values may span feeds and one feed may hold many. */
void json_message_parser_feed(JSONMessageParser *parser,
                              const char *buffer, size_t size);

/* End of input: complete (or reject) a pending value. */
void json_message_parser_flush(JSONMessageParser *parser);

/* Free what @parser holds; it may be re-initialised afterwards. */
void json_message_parser_destroy(JSONMessageParser *parser);

#endif /* QAPI_QMP_JSON_PARSER_H */
