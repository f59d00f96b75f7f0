/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON message parser: split a byte stream into JSON values (QMP input). */
#ifndef QAPI_QMP_JSON_PARSER_H
#define QAPI_QMP_JSON_PARSER_H

#include <jansson.h>

/*
 * Limits on one top-level value, the same numbers QEMU uses, so that a
 * client can neither exhaust memory nor the stack: past them the value
 * is rejected with an error and the parser starts over.
 */
#define MAX_TOKEN_SIZE (64ULL << 20)   /* total bytes of its tokens */
#define MAX_TOKEN_COUNT (2ULL << 20)   /* number of its tokens */
#define MAX_NESTING (1 << 10)          /* '{' and '[' open at once */

/* Byte-to-token state machine; see qobject/json-lexer.c. */
typedef struct JSONLexer {
    int state;                /* lexer state, with string details */
    GString *token;           /* bytes of the token being read */
} JSONLexer;

/*
 * Receives each result: either @json (a new reference) or @err, never
 * both; the callee owns what it gets.
 */
typedef void JSONMessageEmitFunc(void *opaque, json_t *json, Error *err);

typedef struct JSONMessageParser {
    JSONMessageEmitFunc *emit;
    void *opaque;             /* first argument of @emit */
    JSONLexer lexer;
    int brace_count;          /* '{' minus '}' so far in this value */
    int bracket_count;        /* '[' minus ']' so far in this value */
    GPtrArray *tokens;        /* JSONToken * of this value, owned */
    uint64_t token_size;      /* bytes of text in @tokens */
} JSONMessageParser;

/**
 * json_message_parser_init:
 * Get @parser ready to call @emit with @opaque once per top-level value
 * fed to it, or once per error.  After an error it picks up again at
 * the next '{', '[', ']', '}' or control character (a newline, say), the
 * resynchronisation points QEMU offers its clients.
 */
void json_message_parser_init(JSONMessageParser *parser,
                              JSONMessageEmitFunc *emit, void *opaque);

/*
 * Take @size more bytes.  A value may be split over several calls and
 * one call may complete several values.
 */
void json_message_parser_feed(JSONMessageParser *parser,
                              const char *buffer, size_t size);

/* The input ended: finish a pending token and value, or report them. */
void json_message_parser_flush(JSONMessageParser *parser);

/* Release what @parser holds; json_message_parser_init() may follow. */
void json_message_parser_destroy(JSONMessageParser *parser);

#endif /* QAPI_QMP_JSON_PARSER_H */
